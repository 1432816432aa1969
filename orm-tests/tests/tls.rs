//! TLS to the server (orm-core's `tls-rustls` feature, on in this crate): a private PostgreSQL
//! with `ssl = on` and a private MariaDB with `--ssl-cert`, both with a certificate made here with
//! `openssl` (a CA and a server certificate for 127.0.0.1 and localhost). `sslmode=require` /
//! `ssl-mode=REQUIRED` connects; verifying against the right CA connects; against another CA it
//! is `Error::Connect` saying why.
//!
//! SQLite has no TLS: these tests are about the two servers only. Without `openssl` or the server
//! binaries they are skipped loudly, unless `CI` is set, where they are required.

use orm_core::{Db, Error};
use orm_tests::servers::{PrivateMariaDb, PrivatePostgres, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The files of a test PKI.
struct Certs {
    dir: TempDir,
}

impl Certs {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read a certificate file")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (`ca.crt`), a server certificate signed by it for 127.0.0.1 and localhost
/// (`server.crt`, `server.key`), and another, unrelated CA (`other-ca.crt`); `None` (after a loud
/// message) without `openssl`, outside CI.
fn make_certs(name: &str) -> Option<Certs> {
    if Command::new("openssl").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        assert!(!required(), "openssl is required (CI) to make the TLS test certificates");
        eprintln!("SKIPPING: no `openssl` to make the TLS test certificates (apt-get install openssl)");
        return None;
    }
    let dir = TempDir::new(&format!("tls_{name}")).expect("a temporary directory");
    let d = dir.path();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for ca in ["ca", "other-ca"] {
        let (key, crt, subj) = (format!("{ca}.key"), format!("{ca}.crt"), format!("/CN=orm-tests {ca}"));
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend(["-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subj]);
        args.extend([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(d, &args);
    }
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend(["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
    openssl(d, &args);
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write server.ext");
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    Some(Certs { dir })
}

/// Connects and runs one statement (a TLS failure shows at the first connection).
async fn reach(url: &str) -> orm_core::Result<()> {
    let db = Db::connect(url).await?;
    let r = orm_core::raw("SELECT 1").execute(&db).await.map(|_| ());
    db.close().await;
    r
}

/// Whether the test must run (`CI` set), as the harness decides.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("ORM_REQUIRE_ALL_BACKENDS").is_some()
}

fn assert_tls_refused(result: orm_core::Result<()>, what: &str) {
    match result {
        Err(e @ Error::Connect { .. }) => {
            let msg = e.to_string();
            let lower = msg.to_lowercase();
            assert!(
                lower.contains("certificate") || lower.contains("issuer"),
                "{what}: the message should say the certificate is not trusted: {msg}"
            );
        }
        other => panic!("{what}: expected Error::Connect, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eco_tls_postgres() {
    let Some(certs) = make_certs("pg") else { return };
    let files: [(&str, &[u8]); 3] = [
        ("server.crt", &certs.read("server.crt")),
        ("server.key", &certs.read("server.key")),
        ("ca.crt", &certs.read("ca.crt")),
    ];
    let config = ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"];
    let Some(pg) = PrivatePostgres::start_with("eco_tls", &files, &config) else { return };
    let base = pg.url("postgres");

    reach(&format!("{base}?sslmode=require")).await.expect("sslmode=require connects");
    let ca = certs.path("ca.crt");
    let verified = format!("{base}?sslmode=verify-full&sslrootcert={}", ca.display());
    reach(&verified).await.expect("verify-full with the right CA connects");
    let localhost =
        format!("postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}", pg.port, ca.display());
    reach(&localhost).await.expect("verify-full by host name connects");

    let wrong = format!("{base}?sslmode=verify-full&sslrootcert={}", certs.path("other-ca.crt").display());
    assert_tls_refused(reach(&wrong).await, "PostgreSQL verify-full with another CA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eco_tls_mariadb() {
    let Some(certs) = make_certs("my") else { return };
    let args = [
        format!("--ssl-cert={}", certs.path("server.crt").display()),
        format!("--ssl-key={}", certs.path("server.key").display()),
        format!("--ssl-ca={}", certs.path("ca.crt").display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The server (running as `mysql`) reads the files from the test's directory.
    let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(certs.dir.path()).status();
    let Some(my) = PrivateMariaDb::start("eco_tls", &args) else { return };
    let base = my.url("mysql");

    reach(&format!("{base}?ssl-mode=REQUIRED")).await.expect("ssl-mode=REQUIRED connects");
    let ca = certs.path("ca.crt");
    let verified = format!("{base}?ssl-mode=VERIFY_CA&ssl-ca={}", ca.display());
    reach(&verified).await.expect("VERIFY_CA with the right CA connects");

    let wrong = format!("{base}?ssl-mode=VERIFY_CA&ssl-ca={}", certs.path("other-ca.crt").display());
    assert_tls_refused(reach(&wrong).await, "MariaDB VERIFY_CA with another CA");
}
