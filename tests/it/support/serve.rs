//! `handoff serve` as a process: started in a directory with the test environment, ready once
//! `/readyz` answers, stopped with SIGTERM.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::app::base_env;

pub(crate) fn handoff(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_handoff"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in base_env(dir) {
        cmd.env(k, v);
    }
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts");
    cmd.env("HANDOFF__ENGINE__EXAMPLES_DIR", examples);
    // Tests run side by side: each admin listener takes a free port.
    cmd.env("HANDOFF__SERVER__ADMIN_BIND", "127.0.0.1:0");
    cmd
}

/// A `handoff serve` process; its stderr (the JSON log) is in `log`.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) log: std::path::PathBuf,
}

impl Running {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

pub(crate) async fn start(dir: &Path) -> Running {
    start_with(dir, &[]).await
}

/// Starts `handoff serve` in `dir` with the test environment plus `env`; returns once ready.
pub(crate) async fn start_with(dir: &Path, env: &[(&str, &str)]) -> Running {
    start_process(dir, "serve", "handoff serving", env).await
}

/// Starts `handoff COMMAND`; its port is the `listen` of the log line `listening`.
pub(crate) async fn start_process(
    dir: &Path,
    command: &str,
    listening: &str,
    env: &[(&str, &str)],
) -> Running {
    static STARTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = dir.join(format!("serve-{n}.log"));
    // Port 0: the server picks a free port and logs it, so tests running side by side never
    // race for one (a port picked here and released could be taken before `serve` binds it).
    let mut child = handoff(dir)
        .envs(env.iter().copied())
        .arg(command)
        .env("HANDOFF__SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let port = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["message"] == listening)
            .and_then(|l| l["listen"].as_str()?.parse::<std::net::SocketAddr>().ok())
            .map(|a| a.port());
        if let Some(port) = port {
            break port;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("handoff {command} exited ({status}) before it listened:\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "handoff {command} never listened:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let running = Running { child, port, log };
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if let Ok(r) = client.get(running.url("/readyz")).send().await
            && r.status() == 200
        {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("handoff {command} did not become ready");
}

/// SIGTERM, then waits (at most 15 s) for the exit.
pub(crate) async fn stop(mut server: Running) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "handoff did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
