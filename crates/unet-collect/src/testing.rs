//! For tests and benchmarks (feature `testing`): a fleet of simulated network devices, each a
//! loopback address served by an OpenSSH sshd whose `ForceCommand` runs a CLI emulator
//! (`testing/device.py`) on the device's folder.
//!
//! A device's folder holds `platform`, `hostname`, `config` (Junos: the set form; `config.brace`,
//! if present, the brace form) and an optional `behaviour` (lines `hang-after N`,
//! `truncate-after N`, `enable SECRET`, `banner TEXT`, `page-length N`, `refuse-terminal`); the emulator reads them
//! at every session, so tests change them between logins without restarting anything. The
//! emulator runs one command for `ssh … 'COMMAND'` (exec mode, no paging) and otherwise plays
//! the platform's CLI (prompt, echo, pager, `enable`); `testing/device.py` tells the details.

use std::fs::{File, OpenOptions};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The platform names the emulator knows.
pub const PLATFORMS: [&str; 6] = [
    "cisco_ios",
    "cisco_nxos",
    "cisco_iosxr",
    "arista_eos",
    "juniper_junos",
    "generic",
];

/// The login user of fleets started as root, created on first use.
pub const DEVICE_USER: &str = "unetdev";

/// `DEVICE_USER`'s password (fleets started as root accept password login).
const DEVICE_PASSWORD: &str = "unet-device-test";

/// The OpenSSH server; `scripts/lib/setup.sh` installs it (openssh-server).
const SSHD: &str = "/usr/sbin/sshd";

/// OpenSSH's limit on the listen addresses of one server.
const ADDRESSES_PER_SSHD: usize = 16;

const EMULATOR: &str = include_str!("../testing/device.py");

/// One simulated device.
pub struct Device {
    /// The loopback address it answers on (at the fleet's port).
    pub address: IpAddr,
    /// Its folder (`platform`, `hostname`, `config`, `behaviour`).
    pub dir: PathBuf,
    /// Its platform, one of [`PLATFORMS`].
    pub platform: &'static str,
    /// Its host name, which its prompt shows.
    pub hostname: String,
}

/// A running fleet of simulated devices; every sshd (and its sessions) stops on drop.
pub struct Fleet {
    port: u16,
    // Locked while the fleet lives: no other fleet uses its addresses.
    _octet_lock: File,
    user: String,
    password: Option<&'static str>,
    key_file: PathBuf,
    devices: Vec<Device>,
    servers: Vec<Server>,
    // CPU of servers stopped by `replace_host_key`, which `/proc` no longer shows.
    retired_cpu: Duration,
}

/// One sshd serving up to `ADDRESSES_PER_SSHD` devices.
struct Server {
    dir: PathBuf,
    host_key: String,
    child: Option<Child>,
}

impl Fleet {
    /// Starts a fleet in a new folder under `dir`: device `i` has platform `platforms[i]`, host
    /// name `dev<i>` and a small default configuration, and listens on its own loopback address
    /// (`127.A.1.1`, `127.A.1.2`, …, skipping `.0` and `.255`, where no other live fleet on
    /// the machine has the same `A`); all devices share one port.
    pub fn start(dir: &Path, platforms: &[&'static str]) -> Fleet {
        assert!(
            Path::new(SSHD).is_file(),
            "{SSHD} is missing: scripts/lib/setup.sh installs openssh-server"
        );
        assert!(
            platforms.len() <= 254 * 254,
            "at most 64516 devices per fleet"
        );
        for platform in platforms {
            assert!(PLATFORMS.contains(platform), "unknown platform {platform}");
        }
        let root = is_root();
        if root {
            // sshd runs the emulator as DEVICE_USER, who must reach the fleet's files.
            ensure_device_user();
            make_traversable(dir);
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
        let folder = dir.join(format!("fleet-{port}"));
        let shown = folder.display().to_string();
        // The sshd configuration and ForceCommand take these paths unquoted.
        assert!(
            !shown.contains(|c: char| c.is_whitespace() || "'\"\\#".contains(c)),
            "the fleet's folder {shown} must not contain blanks, quotes, backslashes or #"
        );
        create_dir(&folder);
        create_dir(&folder.join("devices"));
        write_file(&folder.join("device.py"), EMULATOR);
        let mut keygen = spawn_keygen(&folder.join("client"), "client");
        let (octet, octet_lock) = claim_octet(port);
        let mut devices = Vec::with_capacity(platforms.len());
        for (i, platform) in platforms.iter().enumerate() {
            let address = Ipv4Addr::new(127, octet, (1 + i / 254) as u8, (1 + i % 254) as u8);
            let dir = folder.join("devices").join(i.to_string());
            create_dir(&dir);
            let hostname = format!("dev{i}");
            write_file(&dir.join("platform"), platform);
            write_file(&dir.join("hostname"), &hostname);
            write_file(&dir.join("config"), &default_config(platform, &hostname));
            devices.push(Device {
                address: address.into(),
                dir,
                platform,
                hostname,
            });
        }
        let key_file = folder.join("client");
        finish_keygen(&mut keygen);
        let client_key = public_key(&key_file);
        write_file(&folder.join("authorized_keys"), &format!("{client_key}\n"));
        let user = if root {
            DEVICE_USER.to_string()
        } else {
            stdout_of(Command::new("id").arg("-un"))
        };
        let mut fleet = Fleet {
            port,
            _octet_lock: octet_lock,
            user,
            password: root.then_some(DEVICE_PASSWORD),
            key_file,
            devices,
            servers: Vec::new(),
            retired_cpu: Duration::ZERO,
        };
        let log_level = if platforms.len() <= 64 {
            "VERBOSE"
        } else {
            "ERROR"
        };
        for (k, chunk) in fleet.devices.chunks(ADDRESSES_PER_SSHD).enumerate() {
            let server_dir = folder.join(format!("sshd-{k}"));
            create_dir(&server_dir);
            let mut config = String::new();
            for device in chunk {
                config.push_str(&format!("ListenAddress {}:{port}\n", device.address));
            }
            config.push_str(&format!(
                "HostKey {dir}/host_key\nPidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {folder}/authorized_keys\nAllowUsers {user}\n\
                 PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n\
                 PasswordAuthentication {password}\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nPermitTTY yes\nDisableForwarding yes\nUseDNS no\nPrintMotd no\n\
                 PrintLastLog no\nClientAliveInterval 0\nMaxStartups 1000:30:1000\n\
                 MaxSessions 10\nLoginGraceTime 30\nLogLevel {log_level}\n",
                dir = server_dir.display(),
                folder = folder.display(),
                user = fleet.user,
                password = if root { "yes" } else { "no" },
            ));
            // Network devices' key exchanges, without OpenSSH's post-quantum default, whose
            // client side costs ten times more CPU than the rest of a login.
            config.push_str(
                "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,\
                 ecdh-sha2-nistp256,diffie-hellman-group14-sha256\n",
            );
            // One Match block per device gives each its own folder.
            for device in chunk {
                config.push_str(&format!(
                    "Match LocalAddress {}\n    ForceCommand /usr/bin/python3 -S {}/device.py {}\n",
                    device.address,
                    folder.display(),
                    device.dir.display()
                ));
            }
            write_file(&server_dir.join("sshd_config"), &config);
            fleet.servers.push(Server {
                dir: server_dir,
                host_key: String::new(),
                child: None,
            });
        }
        if root {
            // Run as root, sshd separates privileges into this (empty) folder.
            std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| panic!("/run/sshd: {e}"));
        }
        let all: Vec<usize> = (0..fleet.servers.len()).collect();
        fleet.launch(&all);
        fleet
    }

    /// The port every device listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The devices, in the order of `start`'s platforms.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// The login user: [`DEVICE_USER`] when the fleet runs as root, else the current user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The private key (ed25519, no passphrase) every device accepts.
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// The password every device accepts, when the fleet runs as root (sshd can only check
    /// other users' passwords then); `None` otherwise.
    pub fn password(&self) -> Option<&str> {
        self.password
    }

    /// The public host key (`ssh-ed25519 AAAA…`) device `device` presents; devices served by
    /// the same sshd share it.
    pub fn host_key(&self, device: usize) -> &str {
        &self.servers[device / ADDRESSES_PER_SSHD].host_key
    }

    /// `known_hosts` lines (`[127.A.B.C]:PORT ssh-ed25519 AAAA…`) for every device.
    pub fn known_hosts(&self) -> String {
        self.devices
            .iter()
            .enumerate()
            .map(|(i, device)| format!("[{}]:{} {}\n", device.address, self.port, self.host_key(i)))
            .collect()
    }

    /// Replaces device `device`'s configuration body (atomically: a session reads the old or
    /// the new one).
    pub fn set_config(&self, device: usize, body: &str) {
        write_atomically(&self.devices[device].dir.join("config"), body);
    }

    /// Replaces device `device`'s `behaviour` file (atomically).
    pub fn set_behaviour(&self, device: usize, behaviour: &str) {
        write_atomically(&self.devices[device].dir.join("behaviour"), behaviour);
    }

    /// Restarts the sshd serving device `device` with a new host key, at the same addresses
    /// and port, as after a reinstall (or as a machine in the middle would look). The other
    /// devices that sshd serves change key too.
    pub fn replace_host_key(&mut self, device: usize) {
        let k = device / ADDRESSES_PER_SSHD;
        self.retired_cpu += self.servers[k].cpu();
        stop(std::slice::from_mut(&mut self.servers[k]));
        self.launch(&[k]);
    }

    /// The user and system CPU time used so far by the fleet's sshd processes and their
    /// children that have exited (sessions, emulators).
    pub fn sshd_cpu(&self) -> Duration {
        self.servers.iter().map(Server::cpu).sum::<Duration>() + self.retired_cpu
    }

    /// Starts the servers `servers` (stopped) with new host keys; returns when all accept
    /// connections.
    fn launch(&mut self, servers: &[usize]) {
        let mut keygens = Vec::new();
        for &k in servers {
            let dir = &self.servers[k].dir;
            for file in ["host_key", "host_key.pub", "sshd.pid"] {
                // Best effort: a first start has none of them.
                let _ = std::fs::remove_file(dir.join(file));
            }
            keygens.push(spawn_keygen(&dir.join("host_key"), "host"));
        }
        for (&k, keygen) in servers.iter().zip(&mut keygens) {
            finish_keygen(keygen);
            let server = &mut self.servers[k];
            server.host_key = public_key(&server.dir.join("host_key"));
            let log_file = server.dir.join("sshd.log");
            let log = std::fs::File::create(&log_file)
                .unwrap_or_else(|e| panic!("{}: {e}", log_file.display()));
            let child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(server.dir.join("sshd_config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("{SSHD} does not start: {e}"));
            server.child = Some(child);
        }
        // sshd writes its pid file once its sockets listen.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut pending = servers.to_vec();
        while !pending.is_empty() {
            pending.retain(|&k| {
                let server = &mut self.servers[k];
                let ready =
                    std::fs::metadata(server.dir.join("sshd.pid")).is_ok_and(|m| m.len() > 0);
                let exited = server
                    .child
                    .as_mut()
                    .is_some_and(|c| c.try_wait().ok().flatten().is_some());
                if exited || Instant::now() > deadline {
                    panic!(
                        "sshd {} did not start: {}",
                        server.dir.display(),
                        std::fs::read_to_string(server.dir.join("sshd.log")).unwrap_or_default()
                    );
                }
                !ready
            });
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        stop(&mut self.servers);
    }
}

impl Server {
    fn cpu(&self) -> Duration {
        let Some(child) = &self.child else {
            return Duration::ZERO;
        };
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
        // Fields after the command name (which may hold blanks): state is field 3, utime 14,
        // stime 15, cutime 16, cstime 17.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks: u64 = (11..15)
            .filter_map(|i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
    }
}

/// Stops the listeners and their connections (whose sessions end as the connections close).
fn stop(servers: &mut [Server]) {
    let processes = processes();
    let mut listeners: Vec<Child> = servers.iter_mut().filter_map(|s| s.child.take()).collect();
    let mut connections = Vec::new();
    for listener in &mut listeners {
        connections.extend(
            processes
                .iter()
                .filter(|(_, parent)| *parent == listener.id())
                .map(|(pid, _)| pid.to_string()),
        );
        // Best effort: the server may have exited already.
        let _ = listener.kill();
    }
    // Waited for after all are killed: each takes a while to go.
    for listener in &mut listeners {
        let _ = listener.wait();
    }
    if !connections.is_empty() {
        // Best effort too: connections may have ended meanwhile.
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(connections)
            .stderr(Stdio::null())
            .status();
    }
}

/// Every process's id and its parent's.
fn processes() -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let parent = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, parent))
        })
        .collect()
}

/// A second address octet no other live fleet on the machine uses, with the lock (on a file in
/// /tmp) that holds it; the search starts from `port`, so fleets rarely try the same octets.
fn claim_octet(port: u16) -> (u8, File) {
    for step in 0..256 {
        let octet = ((u32::from(port) + step) % 256) as u8;
        let path = format!("/tmp/unet-collect-fleet-{octet}.lock");
        // Read-only when another user made the file: the lock needs no write access.
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .or_else(|_| File::open(&path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        if file.try_lock().is_ok() {
            return (octet, file);
        }
    }
    panic!("256 fleets run on this machine already");
}

fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        stdout_of(Command::new("getconf").arg("CLK_TCK"))
            .parse()
            .unwrap_or(100)
    })
}

fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| stdout_of(Command::new("id").arg("-u")) == "0")
}

/// Creates `DEVICE_USER` (with a home and a shell, which sshd needs to start a session) unless
/// it exists, and sets its password; once per process, under a lock as parallel test processes
/// would race on /etc/passwd and /etc/shadow.
fn ensure_device_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let script = format!(
            "id -u {DEVICE_USER} >/dev/null 2>&1 || useradd -m -s /bin/bash {DEVICE_USER}; \
             echo '{DEVICE_USER}:{DEVICE_PASSWORD}' | chpasswd"
        );
        stdout_of(Command::new("flock").args([
            "/tmp/unet-collect-device-user.lock",
            "sh",
            "-c",
            &script,
        ]));
    });
}

/// Lets other users into `dir` (a test's temporary folder is private); its parents must let
/// them through already.
fn make_traversable(dir: &Path) {
    let dir = dir
        .canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mode = std::fs::metadata(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .permissions()
        .mode();
    if mode & 0o055 != 0o055 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode | 0o755))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for parent in dir.ancestors().skip(1) {
        let mode = std::fs::metadata(parent)
            .unwrap_or_else(|e| panic!("{}: {e}", parent.display()))
            .permissions()
            .mode();
        assert!(
            mode & 0o001 != 0,
            "{} is closed to other users, so {DEVICE_USER} cannot reach the fleet in {}",
            parent.display(),
            dir.display()
        );
    }
}

fn default_config(platform: &str, hostname: &str) -> String {
    if platform == "juniper_junos" {
        format!(
            "set system host-name {hostname}\n\
             set interfaces lo0 unit 0 family inet address 192.0.2.1/32\n"
        )
    } else {
        format!(
            "hostname {hostname}\n!\ninterface Loopback0\n ip address 192.0.2.1 255.255.255.255\n!\n"
        )
    }
}

fn create_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    // Explicit, whatever the umask: the emulator runs as another user.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Writes a temporary file beside `path` and renames it over `path`.
fn write_atomically(path: &Path, text: &str) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let temporary = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    write_file(&temporary, text);
    std::fs::rename(&temporary, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Starts `ssh-keygen` making an ed25519 key pair without passphrase at `file` (and `.pub`).
fn spawn_keygen(file: &Path, comment: &str) -> Child {
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ssh-keygen does not run ({e}): install openssh-client"))
}

fn finish_keygen(keygen: &mut Child) {
    let status = keygen.wait().unwrap_or_else(|e| panic!("ssh-keygen: {e}"));
    if !status.success() {
        let mut message = String::new();
        if let Some(stderr) = keygen.stderr.as_mut() {
            // Only for the panic message below.
            let _ = std::io::Read::read_to_string(stderr, &mut message);
        }
        panic!("ssh-keygen failed: {message}");
    }
}

/// The public key of the key pair at `file`, without its comment: `ssh-ed25519 AAAA…`.
fn public_key(file: &Path) -> String {
    let public = file.with_extension("pub");
    let line =
        std::fs::read_to_string(&public).unwrap_or_else(|e| panic!("{}: {e}", public.display()));
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command`, panicking with its message when it fails; the trimmed standard output.
fn stdout_of(command: &mut Command) -> String {
    let shown = format!("{command:?}");
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{shown} does not run: {e}"));
    assert!(
        out.status.success(),
        "{shown}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
