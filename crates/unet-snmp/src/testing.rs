//! For tests and benchmarks (feature `testing`): real SNMP agents on loopback — net-snmp's
//! `snmpd` with a v2c community and SNMPv3 users, and snmpsim serving recorded walks of real
//! devices (the `snmpsim-data` recordings), one community per recording. Both stop on drop.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::credentials::{AuthProtocol, Credentials, PrivProtocol, Usm};

/// The v2c community `Snmpd` accepts.
pub const COMMUNITY: &str = "unet-public";
/// The passwords of `Snmpd`'s SNMPv3 users.
pub const AUTH_PASSWORD: &str = "unet-auth-secret";
pub const PRIV_PASSWORD: &str = "unet-priv-secret";

/// `Snmpd`'s SNMPv3 users: name, authentication, privacy (`None`: authNoPriv).
pub const USERS: [(&str, AuthProtocol, Option<PrivProtocol>); 3] = [
    (
        "unet-sha256",
        AuthProtocol::Sha256,
        Some(PrivProtocol::Aes128),
    ),
    (
        "unet-sha512",
        AuthProtocol::Sha512,
        Some(PrivProtocol::Aes256),
    ),
    ("unet-authonly", AuthProtocol::Sha1, None),
];

/// net-snmp's names for the protocols, in `createUser` lines.
fn net_snmp_name(auth: AuthProtocol, privacy: Option<PrivProtocol>) -> String {
    let auth = match auth {
        AuthProtocol::Sha1 => "SHA",
        AuthProtocol::Sha224 => "SHA-224",
        AuthProtocol::Sha256 => "SHA-256",
        AuthProtocol::Sha384 => "SHA-384",
        AuthProtocol::Sha512 => "SHA-512",
    };
    let privacy = match privacy {
        None => String::new(),
        Some(p) => {
            let name = match p {
                PrivProtocol::Aes128 => "AES",
                PrivProtocol::Aes192 => "AES-192",
                PrivProtocol::Aes256 => "AES-256",
                PrivProtocol::Aes192Cisco => "AES-192-C",
                PrivProtocol::Aes256Cisco => "AES-256-C",
            };
            format!(" {name} \"{PRIV_PASSWORD}\"")
        }
    };
    format!("{auth} \"{AUTH_PASSWORD}\"{privacy}")
}

/// The v3 credentials of one of `USERS`.
pub fn v3(user: &str) -> Credentials {
    let (name, auth, privacy) = USERS
        .iter()
        .find(|u| u.0 == user)
        .copied()
        .unwrap_or_else(|| panic!("no test user {user}"));
    Credentials::V3(Usm {
        user: name.to_string(),
        auth,
        auth_password: AUTH_PASSWORD.to_string(),
        privacy: privacy.map(|p| (p, PRIV_PASSWORD.to_string())),
        context: String::new(),
    })
}

pub fn v2c(community: &str) -> Credentials {
    Credentials::V2c {
        community: community.to_string(),
    }
}

/// A free UDP port on loopback (taken again by the agent a moment later).
fn free_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port on loopback");
    socket.local_addr().expect("local address").port()
}

fn scratch(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "unet-{prefix}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// Waits until the agent answers a v2c GET of sysUpTime with `community`.
fn wait_for(address: SocketAddr, community: &str, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the agent exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        let answered = Command::new("snmpget")
            .args(["-v2c", "-c", community, "-r0", "-t0.3", "-On"])
            .arg(address.to_string())
            .arg("1.3.6.1.2.1.1.3.0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if answered {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "the agent at {address} did not answer within 30 s: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// net-snmp's agent on a loopback port: community `COMMUNITY`, the SNMPv3 `USERS`, the host's
/// own interfaces. Stop and start it to play a device going down and coming back.
pub struct Snmpd {
    pub address: SocketAddr,
    dir: PathBuf,
    child: Option<Child>,
}

impl Snmpd {
    pub fn start(sys_name: &str) -> Snmpd {
        let dir = scratch("snmpd");
        let mut config = format!("rocommunity {COMMUNITY} 127.0.0.1\nsysName {sys_name}\n");
        for (user, auth, privacy) in USERS {
            config.push_str(&format!(
                "createUser {user} {}\n",
                net_snmp_name(auth, privacy)
            ));
            let level = if privacy.is_some() { "priv" } else { "auth" };
            config.push_str(&format!("rouser {user} {level}\n"));
        }
        std::fs::write(dir.join("snmpd.conf"), config).expect("write snmpd.conf");
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut agent = Snmpd {
            address,
            dir,
            child: None,
        };
        agent.resume();
        agent
    }

    /// Stops the agent: polls time out until `resume`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the agent again on the same port.
    pub fn resume(&mut self) {
        self.stop();
        let log = self.dir.join("snmpd.log");
        let persistent = self.dir.join("persistent");
        std::fs::create_dir_all(&persistent).expect("create the persistent folder");
        let mut child = Command::new("/usr/sbin/snmpd")
            .args(["-f", "-Lf"])
            .arg(&log)
            .args(["-C", "-c"])
            .arg(self.dir.join("snmpd.conf"))
            .args(["-m", "", "-p"])
            .arg(self.dir.join("snmpd.pid"))
            .arg(format!("udp:{}", self.address))
            .env("SNMP_PERSISTENT_DIR", &persistent)
            .env("MIBS", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/sbin/snmpd (Debian package snmpd; scripts/test installs it)");
        wait_for(self.address, COMMUNITY, &mut child, &log);
        self.child = Some(child);
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The snmpsim virtual environment: `UNET_SNMPSIM_VENV`, else `.venv-snmpsim` at the top of
/// the workspace (`scripts/test` makes it).
pub fn snmpsim_venv() -> PathBuf {
    std::env::var_os("UNET_SNMPSIM_VENV").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-snmpsim"),
        PathBuf::from,
    )
}

/// A recording of a real device from the `snmpsim-data` package, by its path without
/// extension (`network/switch/cisco-c3560`), decompressed.
pub fn recording(name: &str) -> String {
    let venv = snmpsim_venv();
    let file = std::fs::read_dir(venv.join("lib"))
        .expect("the snmpsim venv has lib/ (scripts/test makes it)")
        .filter_map(Result::ok)
        .map(|python| {
            python
                .path()
                .join("site-packages/snmpsim_data/data")
                .join(format!("{name}.snmprec.bz2"))
        })
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no snmpsim-data recording {name} in {}", venv.display()));
    let out = Command::new("bzip2")
        .arg("-dc")
        .arg(&file)
        .output()
        .expect("run bzip2");
    assert!(out.status.success(), "bzip2 -dc {}", file.display());
    String::from_utf8(out.stdout).expect("recordings are text")
}

/// snmpsim answering as one device per community (or SNMPv3 context, user `unet-sha256`),
/// each from a recording (`.snmprec` text: `OID|type|value` lines in OID order). Rewrite one
/// with `set` between polls.
pub struct Snmpsim {
    pub address: SocketAddr,
    dir: PathBuf,
    child: Child,
    /// The last modification time given to each recording (snmpsim re-reads a recording whose
    /// time changed by whole seconds).
    written: HashMap<String, SystemTime>,
}

impl Snmpsim {
    pub fn start(agents: &[(&str, &str)]) -> Snmpsim {
        let dir = scratch("snmpsim");
        for sub in ["data", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).expect("create snmpsim folders");
        }
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut written = HashMap::new();
        for (community, text) in agents {
            write_recording(&dir, &mut written, community, text);
        }
        // It drops privileges to nobody when started as root: let that user read and index.
        let _ = Command::new("chmod")
            .args(["-R", "a+rwX"])
            .arg(&dir)
            .status();
        let log = dir.join("snmpsim.log");
        let log_file = std::fs::File::create(&log).expect("create the snmpsim log");
        let mut command = Command::new(snmpsim_venv().join("bin/snmpsim-command-responder"));
        command
            .arg(format!("--data-dir={}", dir.join("data").display()))
            .arg(format!("--cache-dir={}", dir.join("cache").display()))
            .arg(format!("--agent-udpv4-endpoint={address}"))
            .arg("--log-level=error")
            // SNMPv3 as `USERS[0]`; the context name picks the recording, as the community does.
            .args([
                "--v3-user=unet-sha256",
                "--v3-auth-proto=SHA256",
                "--v3-priv-proto=AES",
            ])
            .arg(format!("--v3-auth-key={AUTH_PASSWORD}"))
            .arg(format!("--v3-priv-key={PRIV_PASSWORD}"));
        // As root, snmpsim refuses to run until told which unprivileged user to become.
        if is_root() {
            command.args(["--process-user=nobody", "--process-group=nogroup"]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("start snmpsim-command-responder (scripts/test makes .venv-snmpsim)");
        // snmpsim indexes a recording when first asked for it (a large one takes a second):
        // ask for each, so that tests' short timeouts meet indexed recordings.
        for (community, _) in agents {
            wait_for(address, community, &mut child, &log);
        }
        Snmpsim {
            address,
            dir,
            child,
            written,
        }
    }

    /// Writes the recording behind `community`; a running simulator answers from it at the
    /// next request.
    pub fn set(&mut self, community: &str, text: &str) {
        write_recording(&self.dir, &mut self.written, community, text);
    }
}

fn write_recording(
    dir: &Path,
    written: &mut HashMap<String, SystemTime>,
    community: &str,
    text: &str,
) {
    let file = dir.join("data").join(format!("{community}.snmprec"));
    std::fs::write(&file, text).expect("write the recording");
    // snmpsim re-indexes a recording whose time changed (whole seconds) if the time is after
    // its index's: strictly later times each write, ahead of the clock.
    let at = match written.get(community) {
        Some(before) => *before + Duration::from_secs(2),
        None => SystemTime::now() + Duration::from_secs(3600),
    };
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(at))
        .expect("set the recording's time");
    written.insert(community.to_string(), at);
    let _ = Command::new("chmod").arg("a+r").arg(&file).status();
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A small device written as a recording: an Arista-like system group (`sysName` its name,
/// EOS 4.31.2F), interfaces in ifTable (32-bit counters, so wraps can be played) and LLDP
/// neighbours numbered by ifIndex. Change a field and `Snmpsim::set` it between polls.
pub struct SimDevice {
    pub name: String,
    pub uptime: u64,
    /// ifIndex, name, ifOperStatus (1 up, 2 down …), ifInOctets.
    pub interfaces: Vec<(u32, &'static str, u8, u64)>,
    /// Local ifIndex, the neighbour's system name, its port name.
    pub neighbours: Vec<(u32, &'static str, &'static str)>,
}

impl SimDevice {
    pub fn recording(&self) -> String {
        let mut lines: Vec<(Vec<u32>, String)> = Vec::new();
        let mut put = |oid: String, rest: String| {
            let arcs = oid.split('.').filter_map(|a| a.parse().ok()).collect();
            lines.push((arcs, format!("{oid}|{rest}")));
        };
        put(
            "1.3.6.1.2.1.1.1.0".into(),
            "4|Arista Networks EOS version 4.31.2F running on an Arista Networks DCS-7050".into(),
        );
        put(
            "1.3.6.1.2.1.1.2.0".into(),
            "6|1.3.6.1.4.1.30065.1.3011.7050".into(),
        );
        put("1.3.6.1.2.1.1.3.0".into(), format!("67|{}", self.uptime));
        put("1.3.6.1.2.1.1.5.0".into(), format!("4|{}", self.name));
        for (index, name, oper, octets) in &self.interfaces {
            put(format!("1.3.6.1.2.1.2.2.1.2.{index}"), format!("4|{name}"));
            put(
                format!("1.3.6.1.2.1.2.2.1.5.{index}"),
                "66|1000000000".into(),
            );
            put(format!("1.3.6.1.2.1.2.2.1.7.{index}"), "2|1".into());
            put(format!("1.3.6.1.2.1.2.2.1.8.{index}"), format!("2|{oper}"));
            put(
                format!("1.3.6.1.2.1.2.2.1.10.{index}"),
                format!("65|{octets}"),
            );
            put(format!("1.3.6.1.2.1.2.2.1.16.{index}"), "65|0".into());
        }
        for (port, system, remote_port) in &self.neighbours {
            let at = |column: u32| format!("1.0.8802.1.1.2.1.4.1.1.{column}.0.{port}.1");
            put(at(5), format!("4|{system}"));
            put(at(6), "2|5".into());
            put(at(7), format!("4|{remote_port}"));
            put(at(9), format!("4|{system}"));
        }
        lines.sort();
        lines.into_iter().map(|(_, l)| l + "\n").collect()
    }
}
