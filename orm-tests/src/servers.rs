//! Databases a test can reopen, and private servers a test can restart.
//!
//! * [`targets`]: the harness's fresh database on every backend together with its URL, so a
//!   test can open a second, independent pool on it (on SQLite a file in a temporary directory,
//!   as an in-memory database cannot be shared by two pools);
//! * [`PrivatePostgres`] and [`PrivateMariaDb`]: a server of the test's own, on a free loopback
//!   port, in a temporary directory, that the test may stop, kill and start again. It is killed
//!   and its directory removed when the value is dropped, also when the test panics.
//!
//! The shared servers (`ORM_TEST_POSTGRES`, `ORM_TEST_MYSQL`) are never restarted or
//! reconfigured. A private server needs the server binaries (the `postgresql` and
//! `mariadb-server` packages): without them it is skipped with a loud message, unless `CI` is set,
//! where it is required. Every wait here is bounded.

use orm_core::{Backend, Db, DbOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A directory under the system's temporary directory, removed with everything in it on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `orm_tests_<name>_<pid>_<nanos>` in the temporary directory.
    pub fn new(name: &str) -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("orm_tests_{name}_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database of the harness and the URL that reaches it.
#[derive(Debug)]
pub struct Target {
    /// The pool the test works on.
    pub db: Db,
    /// The database's URL: `Db::connect(&target.url)` opens a second pool on the same data.
    pub url: String,
    /// The backend's name, for messages.
    pub label: &'static str,
    _dir: Option<TempDir>,
}

impl Target {
    /// Opens another, independent pool on the same database.
    pub async fn reopen(&self, options: DbOptions) -> orm_core::Result<Db> {
        Db::connect_with(&self.url, options).await
    }
}

/// One fresh database per backend for the test `name`, each with its URL (see the module docs).
/// A backend whose server is down is skipped, or fails the test when backends are required.
pub async fn targets(name: &str, options: DbOptions) -> Vec<Target> {
    let mut out = Vec::new();
    for b in Backend::ALL {
        let (db, url, dir) = match b {
            Backend::Sqlite => {
                let dir = TempDir::new(name).expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
                let db = Db::connect_with(&url, options.clone()).await.expect("a SQLite file database");
                (db, url, Some(dir))
            }
            Backend::Postgres | Backend::MySql => {
                let Some(db) = crate::database_with(b, name, options.clone()).await else { continue };
                (db, crate::database_url(b, name), None)
            }
        };
        out.push(Target { db, url, label: b.name(), _dir: dir });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Private servers.

/// How long a server may take to start, stop or recover.
const SERVER_WAIT: Duration = Duration::from_secs(90);

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `cmd args...`, run as `user` when this process is root (servers refuse to run as root).
fn command_as(user: &str, program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn chown(path: &Path, user: &str) {
    if is_root() {
        let _ = Command::new("chown").arg("-R").arg(format!("{user}:{user}")).arg(path).status();
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A loopback port nothing listens on, from `base` upwards.
pub fn free_port(base: u16) -> u16 {
    // Spread parallel tests (and worktrees) over the range.
    let start = base + (std::process::id() % 97) as u16;
    (start..start + 400)
        .chain(base..start)
        .find(|&p| {
            TcpListener::bind(("127.0.0.1", p)).is_ok() && std::net::TcpStream::connect(("127.0.0.1", p)).is_err()
        })
        .expect("a free loopback port")
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// Waits (bounded by [`SERVER_WAIT`]) for `ready`; `Err` naming `what` otherwise.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < SERVER_WAIT {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} within {SERVER_WAIT:?}"))
}

/// Skips a test whose private server cannot run here, or fails it in CI.
fn unavailable(what: &str, why: &str) {
    if crate::required() {
        panic!("{what} is required (CI) but unavailable: {why}");
    }
    eprintln!("SKIPPING: {what} is unavailable: {why}");
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// How a [`PrivatePostgres`] is stopped (`pg_ctl stop -m ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgStop {
    /// Disconnects clients, rolls back their transactions, checkpoints (`-m fast`).
    Fast,
    /// Kills the server without a checkpoint: crash recovery at the next start (`-m immediate`).
    Immediate,
}

/// A PostgreSQL cluster of the test's own (`initdb` into a temporary directory, trust
/// authentication, listening on 127.0.0.1 only).
#[derive(Debug)]
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: TempDir,
    /// The port it listens on.
    pub port: u16,
}

fn postgres_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ORM_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop()
}

impl PrivatePostgres {
    /// Creates and starts a cluster for the test `name`; `None` (after a loud message) when the
    /// PostgreSQL server binaries are missing and `CI` is not set.
    pub fn start(name: &str) -> Option<PrivatePostgres> {
        PrivatePostgres::start_with(name, &[], &[])
    }

    /// [`PrivatePostgres::start`], with `files` (name, contents) written into the data directory
    /// (owned by the server's user, mode 0600: a TLS key must be private) and `config` lines
    /// appended to its `postgresql.conf` (relative paths there are relative to the data directory).
    pub fn start_with(name: &str, files: &[(&str, &[u8])], config: &[&str]) -> Option<PrivatePostgres> {
        let Some(bin) = postgres_bin() else {
            unavailable("a private PostgreSQL server", "no initdb/pg_ctl under /usr/lib/postgresql/*/bin");
            return None;
        };
        let dir = TempDir::new(&format!("pg_{name}")).expect("a temporary directory");
        chown(dir.path(), "postgres");
        let mut initdb = command_as("postgres", &bin.join("initdb"));
        initdb.arg("-D").arg(dir.path().join("data")).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        if let Err(e) = run(initdb, "initdb") {
            unavailable("a private PostgreSQL server", &e);
            return None;
        }
        let data = dir.path().join("data");
        for (file, contents) in files {
            let path = data.join(file);
            std::fs::write(&path, contents).expect("write a file into the data directory");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod 0600");
            chown(&path, "postgres");
        }
        if !config.is_empty() {
            use std::io::Write;
            let mut conf = std::fs::OpenOptions::new()
                .append(true)
                .open(data.join("postgresql.conf"))
                .expect("open postgresql.conf");
            for line in config {
                writeln!(conf, "{line}").expect("append to postgresql.conf");
            }
        }
        let mut pg = PrivatePostgres { bin, port: 0, dir };
        let mut last = String::new();
        for _ in 0..5 {
            // Another test may take the port between the check and the start: try the next.
            pg.port = free_port(5440);
            match pg.start_server() {
                Ok(()) => return Some(pg),
                Err(e) => last = e,
            }
        }
        panic!("the private PostgreSQL server did not start: {last}");
    }

    fn start_server(&self) -> Result<(), String> {
        let mut c = command_as("postgres", &self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.dir.path().join("data")).arg("-l").arg(self.dir.path().join("log"));
        c.arg("-o").arg(format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        ));
        c.args(["-w", "-t", &SERVER_WAIT.as_secs().to_string(), "start"]);
        run(c, "pg_ctl start").map_err(|e| format!("{e}\n{}", tail(&self.dir.path().join("log"))))?;
        wait_until("PostgreSQL accepting connections", || port_open(self.port))
    }

    /// Stops the server (`fast` or `immediate`), waiting until it is down.
    pub fn stop(&self, mode: PgStop) {
        let mut c = command_as("postgres", &self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.dir.path().join("data"));
        c.args(["-m", if mode == PgStop::Fast { "fast" } else { "immediate" }]);
        c.args(["-w", "-t", &SERVER_WAIT.as_secs().to_string(), "stop"]);
        run(c, "pg_ctl stop").expect("the private PostgreSQL server stops");
    }

    /// Starts the stopped server again on the same port (crash recovery after `Immediate`).
    pub fn start_again(&self) {
        self.start_server().expect("the private PostgreSQL server starts again");
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` (dropping an older one) and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad database name {name}");
        let admin = Db::connect(&self.url("postgres")).await.expect("the private PostgreSQL server");
        // `name` is checked above to be a plain identifier.
        orm_core::raw(format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&admin).await.expect("drop database");
        orm_core::raw(format!("CREATE DATABASE \"{name}\"")).execute(&admin).await.expect("create database");
        admin.close().await;
        self.url(name)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let mut c = command_as("postgres", &self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.dir.path().join("data")).args(["-m", "immediate", "-w", "-t", "30", "stop"]);
        let _ = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

/// How a [`PrivateMariaDb`] is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: a clean shutdown.
    Term,
    /// SIGKILL: a crash; InnoDB recovers at the next start.
    Kill,
}

/// A MariaDB server of the test's own (`mariadb-install-db` into a temporary directory,
/// listening on 127.0.0.1 only, `root` without a password).
#[derive(Debug)]
pub struct PrivateMariaDb {
    dir: TempDir,
    child: std::sync::Mutex<Option<Child>>,
    extra: Vec<String>,
    /// The port it listens on.
    pub port: u16,
}

const MARIADBD: &str = "/usr/sbin/mariadbd";

impl PrivateMariaDb {
    /// Creates and starts a server for the test `name`, with extra server options (such as
    /// `--sql-mode=`); `None` (after a loud message) when the MariaDB server binaries are missing
    /// and `CI` is not set.
    pub fn start(name: &str, extra: &[&str]) -> Option<PrivateMariaDb> {
        let install =
            ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"].into_iter().find(|p| Path::new(p).exists());
        let (Some(install), true) = (install, Path::new(MARIADBD).exists()) else {
            unavailable("a private MariaDB server", "no mariadbd / mariadb-install-db");
            return None;
        };
        let dir = TempDir::new(&format!("my_{name}")).expect("a temporary directory");
        let mut c = Command::new(install);
        c.arg("--no-defaults").arg(format!("--datadir={}", dir.path().join("data").display()));
        c.args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        if is_root() {
            chown(dir.path(), "mysql");
            c.arg("--user=mysql");
        }
        if let Err(e) = run(c, "mariadb-install-db") {
            unavailable("a private MariaDB server", &e);
            return None;
        }
        chown(dir.path(), "mysql");
        let mut me = PrivateMariaDb {
            dir,
            child: std::sync::Mutex::new(None),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            port: 0,
        };
        let mut last = String::new();
        for _ in 0..5 {
            me.port = free_port(3320);
            match me.start_server() {
                Ok(()) => return Some(me),
                Err(e) => last = e,
            }
        }
        panic!("the private MariaDB server did not start: {last}");
    }

    fn start_server(&self) -> Result<(), String> {
        let d = self.dir.path();
        let mut c = Command::new(MARIADBD);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", d.join("error.log").display()))
            .arg(format!("--port={}", self.port))
            .args(["--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin", "--max-connections=300"])
            .args([
                "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=2",
                "--character-set-server=utf8mb4",
            ])
            // root from 127.0.0.1, whatever the grant tables say.
            .arg(format!("--init-file={}", self.init_file().display()))
            .args(&self.extra);
        if is_root() {
            c.arg("--user=mysql");
        }
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("mariadbd: {e}"))?;
        let start = Instant::now();
        while start.elapsed() < SERVER_WAIT {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("mariadbd exited ({status}):\n{}", tail(&d.join("error.log"))));
            }
            if port_open(self.port) {
                *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("mariadbd did not listen within {SERVER_WAIT:?}:\n{}", tail(&d.join("error.log"))))
    }

    fn init_file(&self) -> PathBuf {
        let path = self.dir.path().join("init.sql");
        if !path.exists() {
            std::fs::write(
                &path,
                "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';\n\
                 GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n",
            )
            .expect("write init.sql");
            chown(&path, "mysql");
        }
        path
    }

    /// Kills the server with `signal` and waits (bounded) until it is gone.
    pub fn kill(&self, signal: Signal) {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut child) = guard.take() else { return };
        match signal {
            Signal::Kill => {
                let _ = child.kill();
            }
            Signal::Term => {
                let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            }
        }
        let start = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if start.elapsed() > SERVER_WAIT {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the killed server again on the same port.
    pub fn start_again(&self) {
        self.start_server().expect("the private MariaDB server starts again");
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` (dropping an older one) and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad database name {name}");
        let admin = Db::connect(&self.url("mysql")).await.expect("the private MariaDB server");
        // `name` is checked above to be a plain identifier.
        orm_core::raw(format!("DROP DATABASE IF EXISTS `{name}`")).execute(&admin).await.expect("drop database");
        orm_core::raw(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        self.url(name)
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill(Signal::Kill);
    }
}

/// A PgBouncer of the test's own in front of a [`PrivatePostgres`]: `pool_mode = transaction`,
/// stock startup-parameter handling, `auth_type = trust`, listening on 127.0.0.1 only.
#[derive(Debug)]
pub struct PgBouncer {
    dir: TempDir,
    child: Option<Child>,
    /// The port it listens on.
    pub port: u16,
}

fn pgbouncer_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORM_TEST_PGBOUNCER") {
        return Some(PathBuf::from(p));
    }
    ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl PgBouncer {
    /// Starts PgBouncer in front of `pg`, with `pool_size` server connections per database;
    /// `None` (after a loud message) when `pgbouncer` is not installed and `CI` is not set.
    pub fn start(pg: &PrivatePostgres, name: &str, pool_size: u32) -> Option<PgBouncer> {
        let Some(bin) = pgbouncer_bin() else {
            unavailable("PgBouncer", "no pgbouncer binary (apt-get install pgbouncer)");
            return None;
        };
        let dir = TempDir::new(&format!("pgb_{name}")).expect("a temporary directory");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port(6432);
            let ini = dir.path().join("pgbouncer.ini");
            let config = format!(
                "[databases]\n* = host=127.0.0.1 port={pg_port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
                 listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {users}\n\
                 pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n\
                 logfile = {log}\npidfile = {pid}\nadmin_users = postgres\n",
                pg_port = pg.port,
                users = dir.path().join("users.txt").display(),
                log = dir.path().join("pgbouncer.log").display(),
                pid = dir.path().join("pgbouncer.pid").display(),
            );
            std::fs::write(&ini, config).expect("write pgbouncer.ini");
            std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").expect("write users.txt");
            chown(dir.path(), "postgres");
            let mut c = Command::new(&bin);
            if is_root() {
                // PgBouncer refuses to run as root.
                c.args(["-u", "postgres"]);
            }
            c.arg(&ini);
            let mut child = c
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("pgbouncer: {e}"))
                .expect("spawn pgbouncer");
            let ready =
                wait_until("PgBouncer listening", || port_open(port) || child.try_wait().is_ok_and(|s| s.is_some()));
            if ready.is_ok() && child.try_wait().is_ok_and(|s| s.is_none()) {
                return Some(PgBouncer { dir, child: Some(child), port });
            }
            let _ = child.kill();
            let _ = child.wait();
            last = tail(&dir.path().join("pgbouncer.log"));
        }
        panic!("PgBouncer did not start:\n{last}");
    }

    /// The URL of database `db` through PgBouncer (add `?pgbouncer=true` for the ORM's mode).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The end of PgBouncer's log, for failure messages.
    pub fn log_tail(&self) -> String {
        tail(&self.dir.path().join("pgbouncer.log"))
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
