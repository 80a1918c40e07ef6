//! Shared integration-test harness: free ports, deadline polling, child processes
//! stopped by PID (their whole process group), the real gateway binary, a real Vite
//! dev server, the real Litestar fixture app, and small raw HTTP / WebSocket clients.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::stream::MaybeTlsStream;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A port that was free a moment ago (bind :0, read, drop).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn is_listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Polls `f` every 50 ms until it yields a value; panics with `what` after `timeout`.
pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process in its own process group; stopped (TERM, then KILL) on drop.
pub struct Proc {
    pub name: String,
    child: Child,
    log: PathBuf,
    _logdir: TempDir,
}

impl Proc {
    pub fn spawn(name: &str, mut cmd: Command) -> Proc {
        use std::os::unix::process::CommandExt;
        let logdir = tempfile::tempdir().unwrap();
        let log = logdir.path().join(format!("{name}.log"));
        let out = fs::File::create(&log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.into(),
            child,
            log,
            _logdir: logdir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status();
    }

    fn signal_group(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), "--", &format!("-{}", self.pid())])
            .stderr(Stdio::null())
            .status();
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the whole process group: TERM, then KILL after 5 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            self.signal_group("KILL"); // grandchildren that outlived it
            return;
        }
        self.signal_group("TERM");
        if self.wait_exit(Duration::from_secs(5)).is_none() {
            self.signal_group("KILL");
            let _ = self.child.wait();
        }
        self.signal_group("KILL");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "----- {} (pid {}) output -----\n{}",
                self.name,
                self.pid(),
                self.log()
            );
        }
    }
}

/// A real Vite dev server on a copy of `tests/fixtures/web` (so tests may edit files).
pub struct Vite {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
}

impl Vite {
    pub fn start(base: &str, hotfile: Option<&Path>) -> Vite {
        let dir = tempfile::tempdir().unwrap();
        Vite::start_in(dir, base, hotfile)
    }

    pub fn start_in(dir: TempDir, base: &str, hotfile: Option<&Path>) -> Vite {
        let fixture = root().join("tests/fixtures/web");
        assert!(
            fixture.join("node_modules/vite").is_dir(),
            "tests/fixtures/web/node_modules is missing: run scripts/setup.sh"
        );
        if !dir.path().join("vite.config.js").exists() {
            copy_tree(&fixture, dir.path(), &["node_modules", ".vite-cache"]);
            std::os::unix::fs::symlink(
                fixture.join("node_modules"),
                dir.path().join("node_modules"),
            )
            .unwrap();
        }
        let port = free_port();
        let mut cmd = Command::new("node");
        cmd.arg("node_modules/vite/bin/vite.js")
            .current_dir(dir.path())
            .env("VITE_PORT", port.to_string())
            .env("VITE_BASE", base)
            .env("NO_COLOR", "1");
        if let Some(h) = hotfile {
            cmd.env("LITEVITE_HOTFILE", h);
        }
        let proc = Proc::spawn("vite", cmd);
        wait_until("vite to listen", Duration::from_secs(30), || {
            is_listening(port).then_some(())
        });
        if let Some(h) = hotfile {
            let want = format!("http://127.0.0.1:{port}");
            wait_until("vite to write its hotfile", Duration::from_secs(10), || {
                (fs::read_to_string(h).ok()? == want).then_some(())
            });
        }
        Vite { proc, port, dir }
    }

    /// The HMR token Vite inlines into `/@vite/client`, fetched straight from Vite.
    pub fn token(&self, base: &str) -> String {
        let client = get(self.port, &format!("{}@vite/client", base));
        ws_token(&client.text()).expect("wsToken in @vite/client")
    }

    /// Stops Vite and gives back its project directory, for a restart on another port.
    pub fn stop(mut self) -> TempDir {
        self.proc.stop();
        self.dir
    }
}

pub fn ws_token(client_js: &str) -> Option<String> {
    let start = client_js.find("wsToken = \"")? + "wsToken = \"".len();
    let end = client_js[start..].find('"')?;
    Some(client_js[start..start + end].to_string())
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, skip);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The real Litestar fixture app under uvicorn.
pub struct App {
    pub proc: Proc,
    pub port: u16,
}

impl App {
    pub fn start() -> App {
        App::start_on(free_port())
    }

    pub fn start_on(port: u16) -> App {
        App::start_from(&root().join("tests/fixtures/app"), port)
    }

    /// Runs `app:app` from `app_dir` under uvicorn on `port`.
    pub fn start_from(app_dir: &Path, port: u16) -> App {
        let python = root().join(".venv/bin/python");
        assert!(python.exists(), ".venv is missing: run scripts/setup.sh");
        let mut cmd = Command::new(python);
        cmd.args([
            "-m",
            "uvicorn",
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg("--app-dir")
        .arg(app_dir);
        let proc = Proc::spawn("app", cmd);
        wait_until("the app to listen", Duration::from_secs(30), || {
            is_listening(port).then_some(())
        });
        App { proc, port }
    }
}

/// The real litevite-gw binary.
pub struct Gateway {
    pub proc: Proc,
    pub port: u16,
    pub dir: TempDir,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_litevite-gw")
}

impl Gateway {
    /// Starts the gateway with `toml` as litevite.toml in a fresh directory, listening on a free port.
    pub fn start(toml: &str) -> Gateway {
        Gateway::start_in(tempfile::tempdir().unwrap(), toml)
    }

    pub fn start_in(dir: TempDir, toml: &str) -> Gateway {
        fs::write(dir.path().join("litevite.toml"), toml).unwrap();
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.args([
            "-c",
            "litevite.toml",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--log-level",
            "debug",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("LITEVITE_LISTEN")
        .env_remove("VITE_PROXY_MODE")
        .env_remove("VITE_PORT")
        .env_remove("ASSET_URL");
        let proc = Proc::spawn("litevite-gw", cmd);
        wait_until("the gateway's healthz", Duration::from_secs(20), || {
            try_request(port, "GET", "/_litevite/healthz", &[], None)
                .ok()
                .filter(|r| r.status == 200)
        });
        Gateway { proc, port, dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Starts a real Vite (base `/static/`) that writes this gateway's hotfile, and waits
    /// until the gateway serves its client.
    pub fn start_vite(&self) -> Vite {
        let vite = Vite::start("/static/", Some(&self.path("public/hot")));
        wait_until("vite through the gateway", Duration::from_secs(10), || {
            (get(self.port, "/static/@vite/client").status == 200).then_some(())
        });
        vite
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    /// The value of a request header as the fixture app's `/echo` saw it.
    pub fn echoed_header(&self, name: &str) -> Option<String> {
        self.json()["headers"]
            .as_array()?
            .iter()
            .find(|h| h[0].as_str() == Some(name))
            .and_then(|h| h[1].as_str().map(String::from))
    }
}

pub fn get(port: u16, target: &str) -> Response {
    request(port, "GET", target, &[], None)
}

pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    try_request(port, method, target, headers, body)
        .unwrap_or_else(|e| panic!("{method} {target} on port {port}: {e}"))
}

/// Sends one request byte for byte (the target is not normalised) and reads to EOF.
pub fn try_request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    s.write_all(head.as_bytes())?;
    if let Some(b) = body {
        s.write_all(b)?;
    }
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::other(format!("bad response: {}", String::from_utf8_lossy(&raw)))
    })
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size_line = std::str::from_utf8(&data[..pos]).unwrap_or("0");
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

pub type Ws = tungstenite::WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket through `port` offering `protocol`, with an optional Origin.
pub fn ws_connect(
    port: u16,
    target: &str,
    protocol: &str,
    origin: Option<&str>,
) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
    ws_connect_with(port, target, protocol, &headers)
}

/// `ws_connect` with arbitrary extra request headers (Origin, Cookie, …).
pub fn ws_connect_with(
    port: u16,
    target: &str,
    protocol: &str,
    headers: &[(&str, &str)],
) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut req = format!("ws://127.0.0.1:{port}{target}").into_client_request()?;
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocol).unwrap(),
    );
    for (k, v) in headers {
        let name = tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
        req.headers_mut()
            .insert(name, HeaderValue::from_str(v).unwrap());
    }
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(tungstenite::Error::Io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    tungstenite::client::client(req, MaybeTlsStream::Plain(stream)).map_err(|e| match e {
        tungstenite::HandshakeError::Failure(f) => f,
        tungstenite::HandshakeError::Interrupted(_) => tungstenite::Error::ConnectionClosed,
    })
}

/// Reads text frames until one parses as JSON with `"type": kind`; panics at the deadline.
pub fn ws_wait_for(ws: &mut Ws, kind: &str, timeout: Duration) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        assert!(
            Instant::now() < deadline,
            "no {kind:?} message within {timeout:?}"
        );
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t) {
                    if v["type"] == kind {
                        return v;
                    }
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("websocket failed while waiting for {kind:?}: {e}"),
        }
    }
}

/// Direct children of `pid` with their command lines (from /proc).
pub fn children_of(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // Field 4 (ppid) comes after the parenthesised command name.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let ppid: Option<u32> = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(pid) && !rest.trim_start().starts_with('Z') {
            let cmd = fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            out.push((child, cmd.trim().to_string()));
        }
    }
    out
}

/// True while a process with this PID exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// `[processes.app]` + `[processes.vite]` running the fixtures on auto ports.
/// The Vite project is copied into `dir/web` so tests may edit it.
pub fn supervised_fixtures_toml(dir: &Path, extra: &str) -> String {
    let fixture = root().join("tests/fixtures/web");
    let web = dir.join("web");
    copy_tree(&fixture, &web, &["node_modules", ".vite-cache"]);
    std::os::unix::fs::symlink(fixture.join("node_modules"), web.join("node_modules")).unwrap();
    format!(
        r#"[upstreams.vite]
hotfile = "web/public/hot"

[processes.app]
command = ["{python}", "-m", "uvicorn", "app:app", "--app-dir", "{app}", "--host", "127.0.0.1", "--port", "{{port}}"]
port = "auto"
upstream = "app"

[processes.vite]
command = ["node", "node_modules/vite/bin/vite.js", "--port", "{{port}}"]
cwd = "web"
env = {{ VITE_PORT = "{{port}}", NO_COLOR = "1" }}
port = "auto"
upstream = "vite"
{extra}"#,
        python = root().join(".venv/bin/python").display(),
        app = root().join("tests/fixtures/app").display(),
    )
}

/// Sends a WebSocket ping and waits for the matching pong; panics (naming `what`) if the
/// socket died instead.
pub fn ws_ping_roundtrip(ws: &mut Ws, what: &str) {
    let payload = vec![7u8, 9, 7];
    ws.send(tungstenite::Message::Ping(payload.clone().into()))
        .unwrap();
    let pong = wait_until(
        &format!("a pong from {what}"),
        Duration::from_secs(5),
        || match ws.read() {
            Ok(tungstenite::Message::Pong(p)) => Some(p),
            Ok(_) => None,
            Err(e) => panic!("{what} is closed: {e}"),
        },
    );
    assert_eq!(&pong[..], &payload[..]);
}

/// An HMR socket through `port` with Vite's token, after Vite's `connected` frame.
pub fn hmr_socket(port: u16, token: &str) -> Ws {
    let (mut ws, _) = ws_connect(
        port,
        &format!("/static/?token={token}"),
        "vite-hmr",
        Some("http://localhost"),
    )
    .unwrap();
    ws_wait_for(&mut ws, "connected", Duration::from_secs(5));
    ws
}
