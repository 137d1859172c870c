//! The real binary with `auth.required = true`: the bootstrap administrator's password file,
//! login, and refusal of requests without a valid token.

mod common;

use common::{Server, TestDatabase, json, json_of};

#[test]
fn bootstrap_login_and_token_enforcement_on_every_backend() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start_with(db.url(), "auth.required = true");
        let file = server
            .dir
            .path()
            .join("data")
            .join("initial-admin-password");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let password = std::fs::read_to_string(&file).unwrap().trim().to_string();

        assert_eq!(
            server.get("/api/v1/health").status(),
            200,
            "health stays public"
        );
        let (status, _, _) = json_of(server.get("/api/v1/nodes"));
        assert_eq!(status, 401);
        let login = server
            .request(reqwest::Method::POST, "/api/v1/auth/login")
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .unwrap();
        let (status, _, body) = json_of(login);
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap().to_string();
        let users = server
            .request(reqwest::Method::GET, "/api/v1/users")
            .bearer_auth(&token)
            .send()
            .unwrap();
        let (status, _, body) = json_of(users);
        assert_eq!(status, 200);
        assert_eq!(body[0]["username"], "admin");
        assert_eq!(body[0]["roles"], json!(["admin"]));

        let (_, log) = server.terminate();
        let log = log.join("\n");
        assert!(
            log.contains("initial-admin-password"),
            "the file's path is logged"
        );
        assert!(!log.contains(&password), "the password is never logged");
        assert!(!log.contains(&token), "tokens are never logged");
    }
}
