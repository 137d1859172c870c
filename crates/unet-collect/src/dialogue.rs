//! The conversation with a device's CLI that yields its running configuration, as a pure state
//! machine: fed what the device printed, it answers what to type next. The transport (an SSH
//! shell with a terminal) only moves bytes; everything a platform does differently is its
//! [`CliRecipe`].

use unet_core::{Begins, CliRecipe, CollectionResult};

use crate::Failure;
use crate::terminal::Terminal;

/// What the dialogue wants after a chunk of output.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Type this (a command with its newline, a secret, a key for the pager).
    Send(String),
    /// Read more output.
    Wait,
    /// The configuration, as the device printed it between its markers.
    Done(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Login,
    Enable,
    EnableSecret,
    Setup(usize),
    Show,
}

pub(crate) struct Dialogue<'a> {
    recipe: &'static CliRecipe,
    show: &'static str,
    enable_secret: Option<&'a str>,
    max_bytes: usize,
    terminal: Terminal,
    phase: Phase,
    /// The privileged prompt, once seen: a command is done when it shows again.
    prompt: String,
    output: Vec<String>,
    shown_bytes: usize,
}

impl<'a> Dialogue<'a> {
    pub(crate) fn new(
        recipe: &'static CliRecipe,
        show: &'static str,
        enable_secret: Option<&'a str>,
        max_bytes: usize,
    ) -> Dialogue<'a> {
        Dialogue {
            recipe,
            show,
            enable_secret,
            max_bytes,
            terminal: Terminal::new(),
            phase: Phase::Login,
            prompt: String::new(),
            output: Vec::new(),
            shown_bytes: 0,
        }
    }

    /// What the dialogue was waiting for, for a timeout's message.
    pub(crate) fn waiting_for(&self) -> String {
        match self.phase {
            Phase::Login => "the first prompt".to_string(),
            Phase::Enable => "the enable password prompt".to_string(),
            Phase::EnableSecret => "the privileged prompt after the enable secret".to_string(),
            Phase::Setup(i) => format!(
                "the prompt after `{}`",
                self.recipe.setup.get(i).unwrap_or(&"")
            ),
            Phase::Show => format!(
                "the end of `{}` ({} lines read)",
                self.show,
                self.output.len()
            ),
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Step, Failure> {
        self.terminal.feed(bytes).map_err(|_| {
            not_recognised(format!(
                "the device printed bytes that are not UTF-8 while μNet waited for {}",
                self.waiting_for()
            ))
        })?;
        let lines = self.terminal.take_lines();
        let current = self.terminal.current();
        match self.phase {
            Phase::Login => {
                if !is_prompt(&current) {
                    return Ok(Step::Wait);
                }
                if current.ends_with('>')
                    && let Some(enable) = self.recipe.enable
                {
                    let Some(_) = self.enable_secret else {
                        return Err(Failure::new(
                            CollectionResult::AuthFailed,
                            format!(
                                "the device gave an unprivileged prompt (`{current}`) and the \
                                 credential profile has no enable secret"
                            ),
                        ));
                    };
                    self.phase = Phase::Enable;
                    return Ok(Step::Send(format!("{enable}\n")));
                }
                self.prompt = current;
                Ok(self.next_setup(0))
            }
            Phase::Enable => {
                if is_password_prompt(&current) {
                    self.phase = Phase::EnableSecret;
                    return Ok(Step::Send(format!(
                        "{}\n",
                        self.enable_secret.unwrap_or_default()
                    )));
                }
                self.after_enable(&current)
            }
            Phase::EnableSecret => {
                if is_password_prompt(&current) {
                    return Err(refused_enable());
                }
                self.after_enable(&current)
            }
            Phase::Setup(i) => {
                if current == self.prompt {
                    return Ok(self.next_setup(i + 1));
                }
                Ok(Step::Wait)
            }
            Phase::Show => {
                for line in lines {
                    self.shown_bytes += line.len() + 1;
                    self.output.push(line);
                }
                if self.shown_bytes > self.max_bytes {
                    return Err(not_recognised(format!(
                        "`{}` printed more than {} bytes, the most a configuration may have",
                        self.show, self.max_bytes
                    )));
                }
                if self
                    .recipe
                    .pagers
                    .iter()
                    .any(|pager| current.contains(pager))
                {
                    self.terminal.clear_current();
                    return Ok(Step::Send(" ".to_string()));
                }
                if current == self.prompt {
                    return self.configuration().map(Step::Done);
                }
                Ok(Step::Wait)
            }
        }
    }

    fn after_enable(&mut self, current: &str) -> Result<Step, Failure> {
        if !is_prompt(current) {
            return Ok(Step::Wait);
        }
        if current.ends_with('#') {
            self.prompt = current.to_string();
            Ok(self.next_setup(0))
        } else {
            Err(refused_enable())
        }
    }

    fn next_setup(&mut self, index: usize) -> Step {
        match self.recipe.setup.get(index) {
            Some(command) => {
                self.phase = Phase::Setup(index);
                Step::Send(format!("{command}\n"))
            }
            None => {
                self.phase = Phase::Show;
                Step::Send(format!("{}\n", self.show))
            }
        }
    }

    /// The configuration within the show command's output: after the echoed command, between
    /// the platform's start and end markers.
    fn configuration(&mut self) -> Result<String, Failure> {
        let mut lines = std::mem::take(&mut self.output);
        if lines
            .first()
            .is_some_and(|echo| echo.trim_end().ends_with(self.show))
        {
            lines.remove(0);
        }
        let first = lines.iter().find(|line| !line.trim().is_empty());
        if let Some(refusal) = first.filter(|line| {
            self.recipe
                .errors
                .iter()
                .any(|error| line.trim_start().starts_with(error))
        }) {
            return Err(not_recognised(format!(
                "the device refused `{}`: {}",
                self.show,
                refusal.trim()
            )));
        }
        let start = match self.recipe.begins {
            Begins::Start => Some(0),
            Begins::After(header) => lines
                .iter()
                .position(|line| line.starts_with(header))
                .map(|i| i + 1),
            Begins::At(header) => lines.iter().position(|line| line.starts_with(header)),
        };
        let Some(start) = start else {
            let header = match self.recipe.begins {
                Begins::After(header) | Begins::At(header) => header,
                Begins::Start => "",
            };
            return Err(not_recognised(format!(
                "the output of `{}` has no line starting with `{header}`, where the \
                 configuration begins",
                self.show
            )));
        };
        let end = match self.recipe.ends_with {
            None => lines.len(),
            Some(marker) => match lines.iter().rposition(|line| line.trim() == marker) {
                Some(i) if i >= start => i + 1,
                _ => {
                    return Err(not_recognised(format!(
                        "the output of `{}` does not end with `{marker}`: it was cut short \
                         ({} lines read)",
                        self.show,
                        lines.len()
                    )));
                }
            },
        };
        let body = lines.get(start..end).unwrap_or_default();
        let first = body.iter().position(|line| !line.trim().is_empty());
        let last = body.iter().rposition(|line| !line.trim().is_empty());
        match (first, last) {
            (Some(first), Some(last)) => {
                let mut text = body[first..=last].join("\n");
                text.push('\n');
                Ok(text)
            }
            _ => Err(not_recognised(format!(
                "`{}` printed no configuration",
                self.show
            ))),
        }
    }
}

/// A CLI prompt: a name (host, user@host, a path) and one of `>`, `#`, `$`, `%`.
pub(crate) fn is_prompt(line: &str) -> bool {
    let Some(last) = line.chars().last() else {
        return false;
    };
    let name = &line[..line.len() - last.len_utf8()];
    matches!(last, '>' | '#' | '$' | '%')
        && !name.is_empty()
        && name.chars().count() <= 80
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.:/@()[]~+".contains(c))
}

fn is_password_prompt(line: &str) -> bool {
    line.to_ascii_lowercase().ends_with("password:")
}

fn refused_enable() -> Failure {
    Failure::new(
        CollectionResult::AuthFailed,
        "the device refused the enable secret".to_string(),
    )
}

fn not_recognised(message: String) -> Failure {
    Failure::new(CollectionResult::OutputNotRecognised, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use unet_core::Platform;

    /// Plays a device: each expected input is answered with the next output.
    fn converse(
        platform: Platform,
        secret: Option<&str>,
        script: &[(&str, &str)],
    ) -> Result<String, Failure> {
        let recipe = platform.cli();
        let show = recipe.show_command(None).unwrap();
        let mut dialogue = Dialogue::new(recipe, show, secret, 1 << 20);
        let mut typed = Vec::new();
        for (expected, output) in script {
            if !expected.is_empty() {
                assert_eq!(typed.pop().as_deref(), Some(*expected), "typed");
            }
            match dialogue.feed(output.as_bytes())? {
                Step::Send(text) => typed.push(text),
                Step::Wait => {}
                Step::Done(config) => return Ok(config),
            }
        }
        panic!("the dialogue did not finish; typed {typed:?}")
    }

    const IOS_SHOW: &str = "show running-config\r\nBuilding configuration...\r\n\r\n\
        Current configuration : 60 bytes\r\n!\r\nhostname r1\r\n";

    #[test]
    fn ios_with_a_banner_paging_off_and_markers() {
        let config = converse(
            Platform::CiscoIos,
            None,
            &[
                ("", "\x1b[1mWelcome\x1b[0m\r\n###### lab ######\r\n\r\nr1#"),
                ("terminal length 0\n", "terminal length 0\r\nr1#"),
                ("terminal width 0\n", "terminal width 0\r\nr1#"),
                ("show running-config\n", IOS_SHOW),
                ("", "! Last configuration change at 10:00\r\nend\r\n\r\nr1#"),
            ],
        )
        .unwrap();
        assert_eq!(
            config,
            "!\nhostname r1\n! Last configuration change at 10:00\nend\n"
        );
    }

    #[test]
    fn a_pager_is_answered_with_a_space() {
        let config = converse(
            Platform::AristaEos,
            None,
            &[
                ("", "sw1#"),
                ("terminal length 0\n", "% Invalid input\r\nsw1#"),
                ("terminal width 32767\n", "\r\nsw1#"),
                ("show running-config\n", "show running-config\r\n! Command: show running-config\r\nhostname sw1\r\n --More-- "),
                (" ", "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08interface Et1\r\nend\r\nsw1#"),
            ],
        )
        .unwrap();
        assert_eq!(config, "hostname sw1\ninterface Et1\nend\n");
    }

    #[test]
    fn enable_with_the_secret_and_refused() {
        let script = |answer: &'static str| {
            [
                ("", "r1>"),
                ("enable\n", "enable\r\nPassword: "),
                ("s3cret\n", answer),
                ("terminal length 0\n", "\r\nr1#"),
                ("terminal width 0\n", "\r\nr1#"),
                ("show running-config\n", IOS_SHOW),
                ("", "end\r\nr1#"),
            ]
        };
        assert!(converse(Platform::CiscoIos, Some("s3cret"), &script("\r\nr1#")).is_ok());
        let refused = converse(
            Platform::CiscoIos,
            Some("s3cret"),
            &script("\r\n% Access denied\r\n\r\nr1>"),
        )
        .unwrap_err();
        assert_eq!(refused.kind, CollectionResult::AuthFailed);
        let missing = converse(Platform::CiscoIos, None, &[("", "r1>")]).unwrap_err();
        assert_eq!(missing.kind, CollectionResult::AuthFailed);
        assert!(
            missing.message.contains("no enable secret"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn output_cut_short_or_refused_is_not_a_configuration() {
        let cut = converse(
            Platform::CiscoIos,
            None,
            &[
                ("", "r1#"),
                ("", "\r\nr1#"),
                ("", "\r\nr1#"),
                ("show running-config\n", IOS_SHOW),
                ("", "interface Gi1\r\nr1#"),
            ],
        )
        .unwrap_err();
        assert_eq!(cut.kind, CollectionResult::OutputNotRecognised);
        assert!(cut.message.contains("cut short"), "{}", cut.message);
        let refused = converse(
            Platform::JuniperJunos,
            None,
            &[
                ("", "admin@mx1> "),
                ("", "\r\nadmin@mx1> "),
                ("", "\r\nadmin@mx1> "),
                ("show configuration | display set\n", "show configuration | display set\r\n\r\nsyntax error, expecting <command>.\r\nadmin@mx1> "),
            ],
        )
        .unwrap_err();
        assert!(
            refused.message.contains("syntax error"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn junos_set_form_needs_no_markers() {
        let config = converse(
            Platform::JuniperJunos,
            None,
            &[
                ("", "--- JUNOS 21.4R3 built 2022-01-01\r\nadmin@mx1> "),
                ("set cli screen-length 0\n", "\r\nScreen length set to 0\r\n\r\nadmin@mx1> "),
                ("set cli screen-width 0\n", "\r\nadmin@mx1> "),
                ("show configuration | display set\n", "show configuration | display set \r\nset system host-name mx1\r\n\r\nadmin@mx1> "),
            ],
        )
        .unwrap();
        assert_eq!(config, "set system host-name mx1\n");
    }

    #[test]
    fn prompts() {
        for prompt in [
            "r1#",
            "r1>",
            "admin@mx1>",
            "RP/0/RSP0/CPU0:xr1#",
            "user@host:~$",
        ] {
            assert!(is_prompt(prompt), "{prompt}");
        }
        for line in ["", "#", "######", "description a#", "r1", "end"] {
            assert!(!is_prompt(line), "{line}");
        }
    }
}
