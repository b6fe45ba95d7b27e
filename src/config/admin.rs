//! The admin listener's settings (`server.admin_bind`, `admin_token`, `admin_token_file`): the
//! admin routes never share the public listener, and off loopback they need a token.

use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretString};

use super::{AdminBind, ServerSettings, read_secret};

const MIN_TOKEN_CHARS: usize = 16;

/// The admin token from `admin_token` or `admin_token_file`; `Ok(None)` when neither is set.
pub fn admin_token(server: &ServerSettings) -> Result<Option<SecretString>, String> {
    match (&server.admin_token, &server.admin_token_file) {
        (Some(token), _) => Ok(Some(token.clone())),
        (None, Some(path)) => read_secret(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// Checks the admin listener's settings; each problem names its key.
pub(super) fn validate(server: &ServerSettings, p: &mut impl FnMut(&str, String)) {
    let Some(token_set) = check_token(server, p) else {
        return;
    };
    let AdminBind::At(admin) = server.admin_bind else {
        return;
    };
    if !token_set && !admin.ip().is_loopback() {
        p(
            "server.admin_token",
            format!(
                "required: server.admin_bind ({admin}) is not a loopback address; set \
                 HANDOFF__SERVER__ADMIN_TOKEN or server.admin_token_file, or bind the admin \
                 listener to 127.0.0.1"
            ),
        );
    }
    if same_socket(admin, server.listen) {
        p(
            "server.admin_bind",
            format!(
                "must differ from server.listen ({}): the admin routes never share the public listener",
                server.listen
            ),
        );
    }
}

/// Checks where the token comes from and its length: whether one is set, or `None` when it
/// cannot be had (then the bind checks would only repeat the problem).
fn check_token(server: &ServerSettings, p: &mut impl FnMut(&str, String)) -> Option<bool> {
    if server.admin_token.is_some() && server.admin_token_file.is_some() {
        p(
            "server.admin_token_file",
            "set either HANDOFF__SERVER__ADMIN_TOKEN or server.admin_token_file, not both".into(),
        );
        return None;
    }
    // A token can only come from the environment (a file's inline one is refused earlier).
    if server
        .admin_token
        .as_ref()
        .is_some_and(|t| t.expose_secret().trim().is_empty())
    {
        p(
            "server.admin_token",
            "is empty (HANDOFF__SERVER__ADMIN_TOKEN is set to nothing)".into(),
        );
        return None;
    }
    let key = if server.admin_token_file.is_some() {
        "server.admin_token_file"
    } else {
        "server.admin_token"
    };
    let token = admin_token(server).map_err(|e| p(key, e)).ok()?;
    if token
        .as_ref()
        .is_some_and(|t| t.expose_secret().trim().chars().count() < MIN_TOKEN_CHARS)
    {
        p(
            key,
            format!("must be at least {MIN_TOKEN_CHARS} characters"),
        );
    }
    Some(token.is_some())
}

/// Whether two binds would take the same port (port 0 means any free port, never a clash).
fn same_socket(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(admin_bind: &str, token: Option<&str>) -> ServerSettings {
        ServerSettings {
            listen: "0.0.0.0:8080".parse().unwrap(),
            request_timeout_ms: 10_000,
            shutdown_grace_ms: 10_000,
            admin_bind: match admin_bind {
                "off" => AdminBind::Off,
                addr => AdminBind::At(addr.parse().unwrap()),
            },
            admin_token: token.map(SecretString::from),
            admin_token_file: None,
        }
    }

    fn problems(s: &ServerSettings) -> Vec<(String, String)> {
        let mut out = Vec::new();
        validate(s, &mut |k: &str, m: String| out.push((k.to_owned(), m)));
        out
    }

    #[test]
    fn a_token_is_optional_on_loopback_and_required_elsewhere() {
        assert!(problems(&server("127.0.0.1:9091", None)).is_empty());
        assert!(problems(&server("[::1]:9091", None)).is_empty());
        assert!(problems(&server("off", None)).is_empty());
        let open = problems(&server("0.0.0.0:9091", None));
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].0, "server.admin_token");
        assert!(open[0].1.contains("not a loopback address"), "{open:?}");
        let token = "a-long-enough-admin-token";
        assert!(problems(&server("10.0.0.5:9091", Some(token))).is_empty());
    }

    #[test]
    fn the_admin_listener_never_shares_the_public_port() {
        let clash = problems(&server("127.0.0.1:8080", None));
        assert_eq!(clash.len(), 1, "{clash:?}");
        assert_eq!(clash[0].0, "server.admin_bind");
        assert!(problems(&server("127.0.0.1:0", None)).is_empty());
    }

    #[test]
    fn a_short_token_is_refused() {
        let short = problems(&server("127.0.0.1:9091", Some("short")));
        assert_eq!(short[0].0, "server.admin_token");
        assert!(short[0].1.contains("at least 16"), "{short:?}");
    }
}
