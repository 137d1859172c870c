//! The simulated devices of `unet_collect::testing`, driven by the OpenSSH client binary: what a
//! collector will meet, checked independently of the collector.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use unet_collect::testing::{DEVICE_USER, Fleet, PLATFORMS};

/// Writes the fleet's known_hosts into `dir`.
fn known_hosts(fleet: &Fleet, dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, fleet.known_hosts()).unwrap();
    file
}

/// `ssh` to device `device` with key login, trusting only `known_hosts`.
fn ssh(fleet: &Fleet, device: usize, known_hosts: &Path) -> Command {
    let mut command = Command::new("ssh");
    // ssh takes the first value given for an option: this one wins over `ssh_options`.
    command.args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i"]);
    command
        .arg(fleet.key_file())
        .args(ssh_options(fleet, device, known_hosts));
    command
}

/// Options and destination for device `device`, ignoring any user configuration.
fn ssh_options(fleet: &Fleet, device: usize, known_hosts: &Path) -> Vec<String> {
    let mut options: Vec<String> = [
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
    ]
    .map(String::from)
    .into();
    options.push(format!("UserKnownHostsFile={}", known_hosts.display()));
    options.push("-p".into());
    options.push(fleet.port().to_string());
    options.push(format!(
        "{}@{}",
        fleet.user(),
        fleet.devices()[device].address
    ));
    options
}

/// Runs `command` on device `device` in exec mode.
fn exec(fleet: &Fleet, device: usize, known_hosts: &Path, command: &str) -> Output {
    ssh(fleet, device, known_hosts)
        .arg(command)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A running `ssh` whose output the test waits for, pexpect-like.
struct Session {
    child: Child,
    stdin: ChildStdin,
    output: Arc<(Mutex<Vec<u8>>, Condvar)>,
    /// How much of the output `expect` has consumed.
    seen: usize,
}

impl Session {
    fn spawn(mut command: Command) -> Session {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let shared = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                shared.0.lock().unwrap().extend_from_slice(&buffer[..n]);
                shared.1.notify_all();
            }
        });
        Session {
            child,
            stdin,
            output,
            seen: 0,
        }
    }

    /// Interactive session (with a terminal) on device `device`.
    fn interactive(fleet: &Fleet, device: usize, known_hosts: &Path) -> Session {
        let mut command = ssh(fleet, device, known_hosts);
        command.arg("-tt");
        Session::spawn(command)
    }

    /// Waits (5 s at most) for `needle`; returns the output up to and including it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        let (lock, ready) = &*self.output;
        let mut output = lock.lock().unwrap();
        loop {
            let text = String::from_utf8_lossy(&output[self.seen..]).into_owned();
            if let Some(at) = text.find(needle) {
                let end = at + needle.len();
                self.seen += text[..end].len();
                return text[..end].to_string();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {needle:?} in {text:?}");
            output = ready.wait_timeout(output, left).unwrap().0;
        }
    }

    /// Asserts that nothing more arrives for `quiet`.
    fn assert_quiet(&self, quiet: Duration) {
        std::thread::sleep(quiet);
        let output = self.output.0.lock().unwrap();
        let rest = String::from_utf8_lossy(&output[self.seen..]);
        assert!(rest.is_empty(), "unexpected output {rest:?}");
    }

    fn send(&mut self, text: &str) {
        self.stdin.write_all(text.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits (5 s at most) for ssh to exit; true if it exited successfully.
    fn finish(mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "the session does not end");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The child may have exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BODY: &str = "hostname dev\n!\ninterface Loopback0\n ip address 192.0.2.1 255.255.255.255\n";

#[test]
fn exec_mode_prints_each_platforms_framed_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let platforms = [PLATFORMS.as_slice(), &["juniper_junos"]].concat();
    let fleet = Fleet::start(dir.path(), &platforms);
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    for i in 0..platforms.len() {
        fleet.set_config(i, BODY);
    }
    let run = |i: usize, command: &str| stdout(&exec(&fleet, i, &hosts, command));

    let ios = run(0, "show running-config");
    let size = BODY.len();
    assert_eq!(
        ios,
        format!("Building configuration...\n\nCurrent configuration : {size} bytes\n{BODY}end\n")
    );

    let nxos = run(1, "show running-config");
    let lines: Vec<&str> = nxos.lines().collect();
    assert_eq!(lines[..2], ["", "!Command: show running-config"]);
    assert!(lines[2].starts_with("!Running configuration last done at: "));
    assert!(
        lines[3].starts_with("!Time: ")
            && lines[3].len() == "!Time: Mon Dec  7 10:00:00 2026".len()
    );
    assert!(nxos.ends_with(&format!("\n\n{BODY}")), "{nxos}");

    let xr = run(2, "show running-config");
    let (stamp, rest) = xr.split_once('\n').unwrap();
    assert!(
        stamp.ends_with(" UTC") && stamp.len() == "Mon Dec  7 10:00:00.123 UTC".len(),
        "{stamp}"
    );
    assert_eq!(
        rest,
        format!("Building configuration...\n!! IOS XR Configuration 7.3.2\n{BODY}end\n")
    );

    let eos = run(3, "show running-config");
    assert_eq!(
        eos,
        format!(
            "! Command: show running-config\n! device: dev3 (vEOS-lab, EOS-4.28.3M)\n!\n{BODY}end\n"
        )
    );

    let junos_set = "set system host-name dev4\n";
    fleet.set_config(4, junos_set);
    assert_eq!(run(4, "show configuration | display set"), junos_set);
    assert_eq!(
        run(4, "show configuration | display set | no-more"),
        junos_set
    );
    // Without a brace form, the brace command prints `config`.
    let fallback = run(4, "show configuration");
    assert!(
        fallback.starts_with("## Last commit: ")
            && fallback.ends_with(&format!(" by admin\n{junos_set}"))
    );
    let brace = "system {\n    host-name dev4;\n}\n";
    std::fs::write(fleet.devices()[4].dir.join("config.brace"), brace).unwrap();
    let shown = run(4, "show configuration");
    let (header, body) = shown.split_once('\n').unwrap();
    assert!(
        header.starts_with("## Last commit: 20") && header.ends_with(" UTC by admin"),
        "{header}"
    );
    assert_eq!(body, brace);

    assert_eq!(run(5, "show running-config"), BODY);

    let unknown = exec(&fleet, 0, &hosts, "show bogus");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stdout),
        "% Invalid input detected at '^' marker.\n"
    );
    let unknown = exec(&fleet, 6, &hosts, "show running-config");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stdout),
        "\nsyntax error, expecting <command>.\n"
    );
}

#[test]
fn interactive_session_turns_paging_off_and_shows_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios", "juniper_junos", "cisco_iosxr"]);
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    fleet.set_config(0, BODY);

    let mut session = Session::interactive(&fleet, 0, &hosts);
    let banner = session.expect("dev0#");
    assert!(
        banner.contains("\x1b[1;32m") && banner.contains("\x1b[0m\r\n"),
        "{banner:?}"
    );
    session.send("terminal length 0\r");
    assert_eq!(session.expect("dev0#"), "terminal length 0\r\ndev0#");
    session.send("show running-config\r\n");
    let shown = session.expect("dev0#");
    let expected = format!(
        "show running-config\r\nBuilding configuration...\r\n\r\nCurrent configuration : {} \
         bytes\r\n{}end\r\ndev0#",
        BODY.len(),
        BODY.replace('\n', "\r\n")
    );
    assert_eq!(shown, expected);
    session.send("\r");
    session.expect("\r\ndev0#");
    session.send("show bogus\r");
    session.expect("show bogus\r\n% Invalid input detected at '^' marker.\r\ndev0#");
    session.send("exit\r");
    assert!(session.finish());

    let mut junos = Session::interactive(&fleet, 1, &hosts);
    let prompt = format!("{}@dev1> ", fleet.user());
    junos.expect(&prompt);
    junos.send("set cli screen-length 0\n");
    junos.expect(&format!("Screen length set to 0\r\n{prompt}"));
    junos.send("show configuration | display set\n");
    assert_eq!(
        junos.expect(&prompt),
        format!(
            "show configuration | display set\r\nset system host-name dev1\r\n\
             set interfaces lo0 unit 0 family inet address 192.0.2.1/32\r\n{prompt}"
        )
    );
    junos.send("bogus\n");
    junos.expect(&format!(
        "bogus\r\n\r\nsyntax error, expecting <command>.\r\n{prompt}"
    ));
    junos.send("quit\n");
    assert!(junos.finish());

    let mut xr = Session::interactive(&fleet, 2, &hosts);
    xr.expect("RP/0/RSP0/CPU0:dev2#");
    xr.send("logout\r");
    assert!(xr.finish());
}

#[test]
fn interactive_session_pages_until_paging_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios"]);
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    let body: String = (1..=60).map(|i| format!("line {i:02}\n")).collect();
    fleet.set_config(0, &body);
    fleet.set_behaviour(0, "banner Welcome\n");

    let mut session = Session::interactive(&fleet, 0, &hosts);
    assert_eq!(session.expect("dev0#"), "Welcome\r\ndev0#");
    session.send("show running-config\r");
    // Framing lines 1 to 3, then 20 of the body on the first page of 24 - 1 lines.
    let page = session.expect(" --More-- ");
    assert!(page.ends_with("line 20\r\n --More-- "), "{page:?}");
    assert!(!page.contains("line 21"));
    session.assert_quiet(Duration::from_millis(300));
    session.send(" ");
    let erase = format!("{0}{1}{0}", "\x08".repeat(10), " ".repeat(10));
    let page = session.expect(" --More-- ");
    assert!(page.starts_with(&format!("{erase}line 21\r\n")), "{page:?}");
    assert!(page.ends_with("line 43\r\n --More-- "), "{page:?}");
    // Enter: one more line.
    session.send("\r");
    assert_eq!(
        session.expect(" --More-- "),
        format!("{erase}line 44\r\n --More-- ")
    );
    session.send("q");
    assert_eq!(session.expect("dev0#"), format!("{erase}dev0#"));
    session.send("terminal length 0\r");
    session.expect("dev0#");
    session.send("show running-config\r");
    let all = session.expect("end\r\ndev0#");
    assert!(
        !all.contains("--More--") && all.contains("line 60\r\n"),
        "{all:?}"
    );
}

#[test]
fn enable_secret_guards_the_privileged_level() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["arista_eos"]);
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    fleet.set_behaviour(0, "enable s3cret\n");

    let mut session = Session::interactive(&fleet, 0, &hosts);
    session.expect("dev0>");
    session.send("terminal length 0\r");
    session.expect("dev0>");
    session.send("show running-config\r");
    session.expect("% Invalid input detected at '^' marker.\r\ndev0>");
    session.send("enable\r");
    session.expect("enable\r\nPassword: ");
    session.send("wrong\r");
    // The secret is not echoed.
    assert_eq!(session.expect("dev0>"), "\r\n% Access denied\r\ndev0>");
    session.send("enable\r");
    session.expect("Password: ");
    session.send("s3cret\r");
    assert_eq!(session.expect("dev0#"), "\r\ndev0#");
    session.send("show running-config\r");
    session.expect("end\r\ndev0#");

    // Exec mode runs at the unprivileged level too.
    let denied = exec(&fleet, 0, &hosts, "show running-config");
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn hang_and_truncate_behaviours() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios", "cisco_nxos"]);
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");

    fleet.set_behaviour(0, "hang-after 3\n");
    let mut command = ssh(&fleet, 0, &hosts);
    command.arg("show running-config");
    let mut session = Session::spawn(command);
    session.expect("Building configuration...\n\nCurrent configuration : ");
    session.expect(" bytes\n");
    session.assert_quiet(Duration::from_millis(700));
    assert!(
        session.child.try_wait().unwrap().is_none(),
        "the session ended"
    );
    drop(session);

    let mut session = Session::interactive(&fleet, 0, &hosts);
    session.expect("dev0#");
    session.send("terminal length 0\r");
    session.expect("dev0#");
    session.send("show running-config\r");
    session.expect(" bytes\r\n");
    session.assert_quiet(Duration::from_millis(500));
    drop(session);

    // The behaviour file is read at every session.
    fleet.set_behaviour(0, "truncate-after 4\n");
    let truncated = stdout(&exec(&fleet, 0, &hosts, "show running-config"));
    assert_eq!(truncated.lines().count(), 4);
    assert!(truncated.ends_with("hostname dev0\n"), "{truncated}");
    let mut session = Session::interactive(&fleet, 0, &hosts);
    session.expect("dev0#");
    session.send("terminal length 0\r");
    session.expect("dev0#");
    session.send("show running-config\r");
    let shown = session.expect("dev0#");
    assert!(
        shown.ends_with("hostname dev0\r\ndev0#") && !shown.contains("end"),
        "{shown:?}"
    );

    // NX-OS has no end line: its framing counts too.
    fleet.set_behaviour(1, "truncate-after 2\n");
    assert_eq!(
        stdout(&exec(&fleet, 1, &hosts, "show running-config")),
        "\n!Command: show running-config\n"
    );
}

#[test]
fn password_login_is_offered_when_root() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["generic"]);
    let Some(password) = fleet.password() else {
        return;
    };
    assert_eq!(fleet.user(), DEVICE_USER);
    let passwd = Command::new("getent")
        .args(["passwd", DEVICE_USER])
        .output()
        .unwrap();
    assert!(passwd.status.success());
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    let refused = ssh(&fleet, 0, &hosts)
        .args(["-o", "PreferredAuthentications=password", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        message.contains("Permission denied (") && message.contains("password"),
        "{message}"
    );
    let sshpass_installed = Command::new("sshpass")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if sshpass_installed {
        let mut command = Command::new("sshpass");
        command
            .args([
                "-p",
                password,
                "ssh",
                "-o",
                "PreferredAuthentications=password",
            ])
            .args(ssh_options(&fleet, 0, &hosts))
            .arg("show running-config");
        let output = command.stdin(Stdio::null()).output().unwrap();
        assert_eq!(
            stdout(&output),
            "hostname dev0\n!\ninterface Loopback0\n ip address 192.0.2.1 255.255.255.255\n!\n"
        );
    }
}

#[test]
fn replaced_host_key_is_refused_by_the_old_known_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = Fleet::start(dir.path(), &["cisco_ios", "cisco_ios"]);
    let old_hosts = known_hosts(&fleet, dir.path(), "old_known_hosts");
    let old_key = fleet.host_key(1).to_string();
    assert!(old_key.starts_with("ssh-ed25519 AAAA"));
    stdout(&exec(&fleet, 1, &old_hosts, "show running-config"));

    fleet.replace_host_key(1);
    assert_ne!(fleet.host_key(1), old_key);
    let refused = exec(&fleet, 1, &old_hosts, "show running-config");
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || message.contains("Host key verification failed"),
        "{message}"
    );
    let new_hosts = known_hosts(&fleet, dir.path(), "new_known_hosts");
    stdout(&exec(&fleet, 1, &new_hosts, "show running-config"));
}

#[test]
fn forty_devices_answer_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let platforms: Vec<&'static str> = (0..40).map(|i| PLATFORMS[i % 4]).collect();
    let fleet = Fleet::start(dir.path(), &platforms);
    let addresses: HashSet<_> = fleet.devices().iter().map(|d| d.address).collect();
    assert_eq!(addresses.len(), 40);
    // Three servers of 16 addresses at most, each with its own host key.
    let keys: HashSet<_> = (0..40).map(|i| fleet.host_key(i)).collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(fleet.host_key(15), fleet.host_key(0));
    assert_ne!(fleet.host_key(16), fleet.host_key(15));
    let hosts = known_hosts(&fleet, dir.path(), "known_hosts");
    let children: Vec<Child> = (0..40)
        .map(|i| {
            ssh(&fleet, i, &hosts)
                .arg("show running-config")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let shown = stdout(&child.wait_with_output().unwrap());
        assert!(shown.contains(&format!("hostname dev{i}\n")), "{shown}");
    }
    assert!(fleet.sshd_cpu() > Duration::ZERO);
}

#[test]
fn fleets_alive_together_never_share_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let first = Fleet::start(dir.path(), &["generic"; 3]);
    let second = Fleet::start(dir.path(), &["generic"; 3]);
    let addresses: HashSet<_> = first
        .devices()
        .iter()
        .chain(second.devices())
        .map(|d| d.address)
        .collect();
    assert_eq!(addresses.len(), 6);
}
