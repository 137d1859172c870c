"""A simulated network device's CLI, run by sshd's ForceCommand for each session.

Usage: device.py DEVICE_DIR. The folder holds `platform`, `hostname`, `config` (and for Junos
`config.brace`) and an optional `behaviour`; all are read afresh at every session, so tests can
change them between logins. See crates/unet-collect/src/testing.rs.

Start-up must stay cheap (benchmarks run a thousand of these): standard library only, and
modules that only some sessions need are imported where they are used.
"""

import os
import sys
import time

IOS_FAMILY = ("cisco_ios", "cisco_nxos", "cisco_iosxr", "arista_eos")
# The platforms with an `enable` level (IOS-XR, Junos and generic log in privileged).
ENABLE_FAMILY = ("cisco_ios", "cisco_nxos", "arista_eos")
INVALID = "% Invalid input detected at '^' marker."
DEFAULT_BANNER = [
    "\x1b[1;32m*** uNet simulated device: authorised access only ***\x1b[0m",
    "All sessions are logged.",
]


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return None


class Device:
    def __init__(self, folder):
        self.folder = folder
        self.platform = (read(os.path.join(folder, "platform")) or "generic").strip()
        self.hostname = (read(os.path.join(folder, "hostname")) or "device").strip()
        self.hang_after = None
        self.truncate_after = None
        self.secret = None
        self.banner = None
        self.page_length = 24
        self.refuse_paging_off = False
        for line in (read(os.path.join(folder, "behaviour")) or "").splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "hang-after" and value.isdigit():
                self.hang_after = int(value)
            elif key == "truncate-after" and value.isdigit():
                self.truncate_after = int(value)
            elif key == "enable":
                self.secret = value
            elif key == "banner":
                # One line of banner per `banner` line; `\e` stands for ESC, to write colours.
                self.banner = (self.banner or []) + [value.replace("\\e", "\x1b")]
            elif key == "page-length" and value.isdigit():
                self.page_length = max(2, int(value))
            elif key == "refuse-terminal":
                # A restricted account: the terminal settings are refused, so the pager shows.
                self.refuse_paging_off = True
        self.privileged = self.secret is None or self.platform not in ENABLE_FAMILY
        self.paging = self.platform != "generic"

    def config(self, name="config"):
        return (read(os.path.join(self.folder, name)) or "").splitlines()

    def prompt(self):
        if self.platform == "juniper_junos":
            return f"{os.environ.get('USER', 'admin')}@{self.hostname}> "
        if self.platform == "generic":
            return f"{self.hostname}$ "
        host = self.hostname
        if self.platform == "cisco_iosxr":
            host = "RP/0/RSP0/CPU0:" + host
        return host + ("#" if self.privileged else ">")

    def invalid(self):
        if self.platform == "juniper_junos":
            return ["", "syntax error, expecting <command>."]
        if self.platform == "generic":
            return ["unknown command"]
        return [INVALID]

    def show(self, command):
        """The framed output of a show command, or None when this platform has no such command."""
        now = time.time()
        utc = time.gmtime(now)
        body = self.config()
        if self.platform == "juniper_junos":
            if command == "show configuration | display set":
                return body
            if command == "show configuration":
                stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", utc)
                brace = self.config("config.brace") if os.path.exists(
                    os.path.join(self.folder, "config.brace")
                ) else body
                return [f"## Last commit: {stamp} by admin"] + brace
            return None
        if command != "show running-config":
            return None
        if self.platform == "cisco_ios":
            size = len(read(os.path.join(self.folder, "config")) or "")
            return ["Building configuration...", "", f"Current configuration : {size} bytes"] + body + ["end"]
        if self.platform == "cisco_nxos":
            stamp = time.strftime("%a %b %e %H:%M:%S %Y", utc)
            return [
                "",
                "!Command: show running-config",
                f"!Running configuration last done at: {stamp}",
                f"!Time: {stamp}",
                "",
            ] + body
        if self.platform == "cisco_iosxr":
            millis = int(now * 1000) % 1000
            stamp = time.strftime("%a %b %e %H:%M:%S", utc) + f".{millis:03d} UTC"
            return [stamp, "Building configuration...", "!! IOS XR Configuration 7.3.2"] + body + ["end"]
        if self.platform == "arista_eos":
            return [
                "! Command: show running-config",
                f"! device: {self.hostname} (vEOS-lab, EOS-4.28.3M)",
                "!",
            ] + body + ["end"]
        return body

    def run(self, term, line):
        """Runs one command line; False when the command is unknown."""
        command = " ".join(line.split())
        words = command.split(" ")
        if command == "":
            return True
        if command in ("exit", "quit", "logout"):
            raise SystemExit(0)
        numeric = words[-1].isdigit()
        if self.refuse_paging_off and (words[0] == "terminal" or words[:2] == ["set", "cli"]):
            term.lines(["% Authorization failed."])
            return False
        if self.platform in IOS_FAMILY and len(words) == 3 and words[0] == "terminal" and numeric:
            if words[1] == "length":
                self.paging = words[2] != "0"
                if self.paging:
                    self.page_length = max(2, int(words[2]))
                return True
            if words[1] in ("width", "pager"):
                if words[1] == "pager":
                    self.paging = words[2] != "0"
                return True
        junos_cli = self.platform == "juniper_junos" and words[:2] == ["set", "cli"]
        if junos_cli and len(words) == 4 and numeric:
            if words[2] == "screen-length":
                self.paging = words[3] != "0"
                term.lines([f"Screen length set to {words[3]}"])
                return True
            if words[2] == "screen-width":
                return True
        if command == "enable" and self.platform in ENABLE_FAMILY:
            if not self.privileged:
                term.write("Password: ")
                secret = term.line(echo=False)
                if secret == self.secret:
                    self.privileged = True
                else:
                    term.lines(["% Access denied"])
            return True
        paging = self.paging
        if self.platform == "juniper_junos" and command.endswith(" | no-more"):
            command = command[: -len(" | no-more")]
            paging = False
        output = self.show(command) if self.privileged else None
        if output is None:
            term.lines(self.invalid())
            return False
        self.emit(term, output, paging)
        return True

    def emit(self, term, output, paging):
        hang = self.hang_after is not None and self.hang_after < len(output)
        if hang:
            output = output[: self.hang_after]
        elif self.truncate_after is not None:
            output = output[: self.truncate_after]
        if not paging or term.exec_mode:
            term.lines(output)
        else:
            pager = "---(more)---" if self.platform == "juniper_junos" else " --More-- "
            budget = self.page_length - 1
            for line in output:
                if budget == 0:
                    term.write(pager)
                    key = term.key()
                    # Erased the way IOS does it: back over the pager, blank it, back again.
                    term.write("\b" * len(pager) + " " * len(pager) + "\b" * len(pager))
                    if key == " ":
                        budget = self.page_length - 1
                    elif key in "\r\n":
                        budget = 1
                    else:
                        return
                term.lines([line])
                budget -= 1
        if hang:
            term.hang()


class Terminal:
    """Reads keys and writes output; output is buffered until the device waits for input."""

    def __init__(self, exec_mode):
        self.exec_mode = exec_mode
        self.eol = "\n" if exec_mode else "\r\n"
        self.out = []
        self.pending = ""
        # A `\n` right after a `\r` ends the same line (a client sending `\r\n`).
        self.after_cr = False

    def write(self, text):
        self.out.append(text)

    def lines(self, lines):
        for line in lines:
            self.out.append(line)
            self.out.append(self.eol)

    def flush(self):
        data = "".join(self.out).encode("utf-8")
        self.out = []
        while data:
            data = data[os.write(1, data):]

    def key(self):
        self.flush()
        while True:
            while not self.pending:
                data = os.read(0, 4096)
                if not data:
                    raise SystemExit(0)
                self.pending = data.decode("latin-1")
            key, self.pending = self.pending[0], self.pending[1:]
            after_cr, self.after_cr = self.after_cr, key == "\r"
            if not (after_cr and key == "\n"):
                return key

    def line(self, echo=True):
        typed = []
        while True:
            key = self.key()
            if key in "\r\n":
                self.write("\r\n")
                return "".join(typed)
            if key in "\x7f\x08":
                if typed:
                    typed.pop()
                    if echo:
                        self.write("\b \b")
            elif key == "\x03":
                self.write("^C\r\n")
                return ""
            elif key >= " ":
                typed.append(key)
                if echo:
                    self.write(key)

    def hang(self):
        """Stops answering until the client goes away (stdout's reader closes) or an hour passes."""
        self.flush()
        import select

        poll = select.poll()
        poll.register(1, 0)  # POLLERR and POLLHUP are reported without asking.
        poll.register(0, select.POLLIN)
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            for fd, event in poll.poll(60_000):
                if fd == 1:
                    raise SystemExit(0)
                if not os.read(0, 4096):
                    # End of input is not the end of the session: keep watching stdout only.
                    poll.unregister(0)
        raise SystemExit(0)


def interactive(device):
    term = Terminal(exec_mode=False)
    saved = None
    if os.isatty(0):
        import termios

        saved = termios.tcgetattr(0)
        raw = termios.tcgetattr(0)
        raw[0] &= ~(termios.BRKINT | termios.ICRNL | termios.INPCK | termios.ISTRIP | termios.IXON)
        raw[1] &= ~termios.OPOST
        raw[2] = (raw[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
        raw[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
        raw[6][termios.VMIN] = 1
        raw[6][termios.VTIME] = 0
        # TCSANOW keeps what the client typed ahead.
        termios.tcsetattr(0, termios.TCSANOW, raw)
    try:
        term.lines(DEFAULT_BANNER if device.banner is None else device.banner)
        while True:
            term.write(device.prompt())
            device.run(term, term.line())
    finally:
        try:
            term.flush()
        finally:
            if saved is not None:
                termios.tcsetattr(0, termios.TCSADRAIN, saved)


def exec_command(device, command):
    term = Terminal(exec_mode=True)
    try:
        ok = device.run(term, command)
    finally:
        term.flush()
    raise SystemExit(0 if ok else 1)


def main():
    device = Device(sys.argv[1])
    command = os.environ.get("SSH_ORIGINAL_COMMAND")
    if command is None:
        interactive(device)
    else:
        exec_command(device, command)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        # Never a traceback into the session: a broken pipe or a hangup just ends it.
        os._exit(1)
