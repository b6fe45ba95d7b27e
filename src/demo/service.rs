//! The `serve` of a demo world, run one of two ways: inside this process (the demo and most
//! tests), or as a child process of the real binary, which crash tests and benchmarks need —
//! it can be SIGKILLed and restarted on the same store and port, and its peak memory is its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::ConfigSources;
use crate::startup::Application;

/// How a demo world runs `serve`.
#[derive(Debug, Clone, Default)]
pub enum ServiceMode {
    /// In this process, on a tokio task.
    #[default]
    InProcess,
    /// `BINARY serve` as a child process; its output is appended to `dir/serve.log`.
    Binary(PathBuf),
}

/// A running `serve`.
pub enum Service {
    InProcess {
        shutdown: CancellationToken,
        join: JoinHandle<()>,
    },
    Child(Box<ChildService>),
}

/// `serve` in a child process, restartable with the same configuration and port.
pub struct ChildService {
    binary: PathBuf,
    sources: ConfigSources,
    addr: SocketAddr,
    admin_addr: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
    /// Peak resident memory (kB) of every run so far, the largest.
    peak_rss_kb: u64,
}

impl Service {
    /// Starts `serve` in this process on `listener`.
    pub async fn in_process(
        app: Application,
        listener: tokio::net::TcpListener,
        admin: tokio::net::TcpListener,
    ) -> Self {
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let join = tokio::spawn(async move {
            if let Err(err) = app.serve(listener, Some(admin), token).await {
                tracing::error!(error = %err, "demo server stopped with an error");
            }
        });
        Self::InProcess { shutdown, join }
    }

    /// The child process, when `serve` runs in one.
    pub fn child(&mut self) -> Option<&mut ChildService> {
        match self {
            Self::Child(c) => Some(c.as_mut()),
            Self::InProcess { .. } => None,
        }
    }

    /// Stops `serve`: a graceful drain in process, SIGTERM (then wait) for a child.
    pub async fn stop(self) {
        match self {
            Self::InProcess { shutdown, join } => {
                shutdown.cancel();
                let _ = join.await;
            }
            Self::Child(mut c) => c.terminate().await,
        }
    }
}

impl ChildService {
    /// Starts `binary serve` with `sources` listening on `addrs` (public, admin), and waits
    /// until it is ready.
    pub async fn start(
        binary: PathBuf,
        sources: ConfigSources,
        (addr, admin_addr): (SocketAddr, SocketAddr),
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        let mut service = Self {
            binary,
            sources,
            addr,
            admin_addr,
            log,
            child: None,
            peak_rss_kb: 0,
        };
        service.spawn().await?;
        Ok(service)
    }

    fn command(&self) -> anyhow::Result<Command> {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HANDOFF__SERVER__LISTEN", self.addr.to_string())
            .env("HANDOFF__SERVER__ADMIN_BIND", self.admin_addr.to_string());
        if let Some(dir) = &self.sources.dir {
            cmd.env("HANDOFF_CONFIG_DIR", dir);
        }
        if let Some(env) = &self.sources.env {
            cmd.envs(env);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        cmd.stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        Ok(cmd)
    }

    /// Starts the process and waits (up to 30 s) for `/healthz`.
    async fn spawn(&mut self) -> anyhow::Result<()> {
        let mut child = self.command()?.spawn()?;
        let http = reqwest::Client::new();
        let url = format!("http://{}/healthz", self.addr);
        for _ in 0..300 {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "serve exited with {status} before it was ready; see {}",
                    self.log.display()
                );
            }
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                self.child = Some(child);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill().await;
        anyhow::bail!(
            "serve was not ready within 30 s; see {}",
            self.log.display()
        )
    }

    /// The child's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// SIGKILL: no drain, no goodbye — what a crash or an OOM kill does.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.note_peak_rss();
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Starts the process again on the same store, configuration and port.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            self.kill().await?;
        }
        self.spawn().await
    }

    /// The largest resident set size (bytes) any run of the child reached (Linux `VmHWM`).
    pub fn peak_rss_bytes(&mut self) -> u64 {
        self.note_peak_rss();
        self.peak_rss_kb * 1024
    }

    fn note_peak_rss(&mut self) {
        let Some(pid) = self.pid() else { return };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
        self.peak_rss_kb = self.peak_rss_kb.max(hwm);
    }

    /// SIGTERM and wait up to 30 s for the drain; SIGKILL after that.
    pub async fn terminate(&mut self) {
        self.note_peak_rss();
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}
