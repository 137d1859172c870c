//! The security endpoints through the real router with token authentication on: every route ×
//! every role, login and lockout, revocation, the runbook's security commands, and no secret
//! in any answer, log line or database column.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use unet_auth::{Client, Role, Security};
use unet_server::{AppState, Limits, app};
use unet_store::Store;
use unet_store::testing::for_each_backend;
use unet_store::testing_dump::text_cells;

const ADMIN_PASSWORD: &str = "admin password for tests";

struct Api {
    router: Router,
    security: Arc<Security>,
    store: Store,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

impl Api {
    async fn new(store: Store) -> Api {
        let security = Arc::new(Security::load(store.clone()).await.unwrap());
        security
            .create_user(
                "root",
                ADMIN_PASSWORD,
                &[Role::Admin],
                "test",
                &Client::default(),
            )
            .await
            .unwrap();
        let state = AppState::secured(store.clone(), Limits::default(), security.clone());
        Api {
            router: app(state),
            security,
            store,
        }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("user-agent", "security-tests/1.0");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn login(&self, username: &str, password: &str) -> Answer {
        let body = json!({"username": username, "password": password});
        self.call("POST", "/api/v1/auth/login", None, Some(body))
            .await
    }

    async fn token(&self, username: &str, password: &str) -> String {
        let answer = self.login(username, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["token"].as_str().unwrap().to_string()
    }

    /// An API key holding exactly `role`.
    async fn key_for(&self, admin: &str, role: &str) -> String {
        let body = json!({"name": format!("{role}-key"), "roles": [role], "expires_in_days": 30});
        let answer = self
            .call("POST", "/api/v1/auth/api-keys", Some(admin), Some(body))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        answer.body["secret"].as_str().unwrap().to_string()
    }
}

/// The role each route group declares, by path prefix; a route missing here fails the test,
/// so a new route cannot go unchecked.
fn declared(path: &str, method: &str) -> Option<Role> {
    let write = method != "get";
    let (read, change) = match path {
        // The webhook authenticates by signature; without a secret it is off (404).
        "/api/v1/health" | "/api/v1/limits" | "/api/v1/auth/login" | "/api/v1/git/webhook" => {
            return None;
        }
        "/api/v1/auth/me" | "/api/v1/auth/logout" => (Role::Viewer, Role::Viewer),
        p if p.starts_with("/api/v1/users")
            || p.starts_with("/api/v1/auth/api-keys")
            || p.starts_with("/api/v1/security/") =>
        {
            (Role::Auditor, Role::Admin)
        }
        "/api/v1/config/database" => (Role::Admin, Role::Admin),
        p if p.starts_with("/api/v1/certificates") => (Role::Viewer, Role::Admin),
        p if p.starts_with("/api/v1/resolve") => (Role::Viewer, Role::Operator),
        // Running configurations: viewers read (masked), operators push.
        p if p.starts_with("/api/v1/nodes/{id}/configs") => (Role::Viewer, Role::Operator),
        p if p.starts_with("/api/v1/locations")
            || p.starts_with("/api/v1/nodes")
            || p.starts_with("/api/v1/links")
            || p.starts_with("/api/v1/changes")
            || p.starts_with("/api/v1/import")
            || p.starts_with("/api/v1/export")
            || p.starts_with("/api/v1/lookup")
            || p.starts_with("/api/v1/metrics")
            || p.starts_with("/api/v1/system")
            || p.starts_with("/api/v1/snapshots")
            || p.starts_with("/api/v1/policies")
            || p.starts_with("/api/v1/compliance")
            || p.starts_with("/api/v1/templates")
            || p.starts_with("/api/v1/git/")
            // Collection: viewers read statuses, operators collect and forget host keys.
            || p.starts_with("/api/v1/collection")
            // Polling: viewers read polled state and events, operators poll.
            || p.starts_with("/api/v1/status") =>
        {
            (Role::Viewer, Role::Operator)
        }
        other => panic!("route {method} {other} has no declared role in this test; add it"),
    };
    Some(if write { change } else { read })
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "00000000-0000-7000-8000-000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_answers_every_role_as_declared() {
    for_each_backend(|store| async move {
        let api = Api::new(store).await;
        let admin = api.token("root", ADMIN_PASSWORD).await;
        let mut callers: Vec<(Role, String)> = Vec::new();
        for role in Role::ALL {
            callers.push((role, api.key_for(&admin, role.as_str()).await));
        }
        let doc = api
            .call("GET", "/api/v1/openapi.json", None, None)
            .await
            .body;
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() > 15, "the document lists the routes");
        let mut checked = 0;
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let uri = concrete(path);
                let body = (method != "get" && method != "delete").then(|| json!({}));
                let verb = method.to_uppercase();
                let anonymous = api.call(&verb, &uri, None, body.clone()).await;
                let required = declared(path, method);
                match required {
                    None => assert_ne!(anonymous.status, StatusCode::UNAUTHORIZED, "{verb} {path}"),
                    Some(_) => assert_eq!(
                        anonymous.status,
                        StatusCode::UNAUTHORIZED,
                        "anonymous {verb} {path}"
                    ),
                }
                let bad = api
                    .call(&verb, &uri, Some("not-a-token"), body.clone())
                    .await;
                if required.is_some() {
                    assert_eq!(
                        bad.status,
                        StatusCode::UNAUTHORIZED,
                        "bad token {verb} {path}"
                    );
                }
                for (role, key) in &callers {
                    let answer = api.call(&verb, &uri, Some(key), body.clone()).await;
                    let allowed = required.is_none_or(|r| role.grants(r));
                    if allowed {
                        assert!(
                            answer.status != StatusCode::UNAUTHORIZED
                                && answer.status != StatusCode::FORBIDDEN,
                            "{role} {verb} {path}: {} {}",
                            answer.status,
                            answer.text
                        );
                    } else {
                        assert_eq!(
                            answer.status,
                            StatusCode::FORBIDDEN,
                            "{role} {verb} {path}: {}",
                            answer.text
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 60, "{checked} route × role pairs");
        let denied = api
            .store
            .security_events(Some("permission_denied"), None, 1)
            .await
            .unwrap();
        assert_eq!(denied.len(), 1, "permission denials are security events");
    })
    .await;
}

/// Every log line this test process writes (one global subscriber: per-test scoped ones miss
/// events whose call sites another thread registered first).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    static BUFFER: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let sink = Sink(buffer.clone());
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(move || sink.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            buffer
        })
        .clone()
}

async fn dump(store: &Store) -> String {
    text_cells(
        store,
        &[
            "users",
            "sessions",
            "api_keys",
            "security_events",
            "security_policies",
            "configuration_changes",
        ],
    )
    .await
}

#[tokio::test]
async fn runbook_security_commands_lockout_and_revocation() {
    for_each_backend(|store| async move {
        let logs = captured_logs();
        let api = Api::new(store).await;
        let login = api.login("root", ADMIN_PASSWORD).await;
        assert_eq!(login.headers["cache-control"], "no-store");
        assert_eq!(login.headers["x-content-type-options"], "nosniff");
        assert_eq!(login.headers["x-frame-options"], "DENY");
        assert!(login.body["expires_at"].is_string());
        let admin = login.body["token"].as_str().unwrap().to_string();

        // unet users create; the runbook's user review.
        let new_user =
            json!({"username": "olga", "password": "operator password 1", "roles": ["operator"]});
        let created = api
            .call("POST", "/api/v1/users", Some(&admin), Some(new_user))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let users = api.call("GET", "/api/v1/users", Some(&admin), None).await;
        let olga = users
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "olga")
            .unwrap();
        let fields: Vec<&str> = olga
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "created_at",
                "disabled",
                "id",
                "last_login",
                "roles",
                "username"
            ]
        );
        assert_eq!(olga["roles"], json!(["operator"]));

        // API-key audit: the secret once, then only the prefix.
        let key = json!({"name": "monitoring", "roles": ["viewer"], "expires_in_days": 90});
        let created = api
            .call("POST", "/api/v1/auth/api-keys", Some(&admin), Some(key))
            .await;
        let secret = created.body["secret"].as_str().unwrap().to_string();
        let keys = api
            .call("GET", "/api/v1/auth/api-keys", Some(&admin), None)
            .await;
        let listed = &keys.body[0];
        for field in [
            "id",
            "name",
            "prefix",
            "roles",
            "created_at",
            "last_used",
            "expires",
        ] {
            assert!(listed.get(field).is_some(), "api-keys list lacks {field}");
        }
        assert!(!keys.text.contains(&secret));
        let me = api
            .call("GET", "/api/v1/auth/me", Some(&secret), None)
            .await;
        assert_eq!(
            me.body,
            json!({"name": "key:monitoring", "roles": ["viewer"]})
        );

        // Brute force: the same answer for an unknown user and a wrong password, then this
        // source is locked out of the account: 429 even with the right password.
        let unknown = api.login("nobody", "whatever password").await;
        let wrong = api.login("olga", "wrong password!!").await;
        assert_eq!(
            (unknown.status, wrong.status),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        assert_eq!(unknown.text, wrong.text);
        for _ in 1..api.security.policy().lockout_threshold {
            api.login("olga", "wrong password!!").await;
        }
        let locked = api.login("olga", "operator password 1").await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            locked.text
        );
        assert!(locked.headers.contains_key("retry-after"));
        let failures = api
            .call(
                "GET",
                "/api/v1/security/events?type=auth_failure&limit=50",
                Some(&admin),
                None,
            )
            .await;
        let events = failures.body.as_array().unwrap();
        assert_eq!(events[0]["detail"]["reason"], "wrong password");
        assert_eq!(events[0]["username"], "olga");
        assert_eq!(events[0]["user_agent"], "security-tests/1.0");
        let refused = api
            .call(
                "GET",
                "/api/v1/security/events?type=rate_limited",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(refused.body[0]["detail"]["reason"], "login lockout");
        assert_eq!(refused.body[0]["username"], "olga");
        let fields: Vec<&str> = events[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "detail",
                "id",
                "source_ip",
                "timestamp",
                "type",
                "user_agent",
                "username"
            ]
        );
        let summary = api
            .call("GET", "/api/v1/security/audit/summary", Some(&admin), None)
            .await;
        assert_eq!(summary.body["lockouts"], 1);
        assert_eq!(summary.body["locked_accounts"], 1);
        assert_eq!(summary.body["active_api_keys"], 1);

        // Policy update: validated, effective at once.
        let mut policy = api
            .call("GET", "/api/v1/security/policies", Some(&admin), None)
            .await
            .body;
        policy["login_rate_limit_per_minute"] = json!(0);
        let refused = api
            .call(
                "PUT",
                "/api/v1/security/policies",
                Some(&admin),
                Some(policy.clone()),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert!(refused.text.contains("login_rate_limit_per_minute"));
        policy["login_rate_limit_per_minute"] = json!(1);
        let put = api
            .call(
                "PUT",
                "/api/v1/security/policies",
                Some(&admin),
                Some(policy),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
        // The bucket shrinks to the new size: one attempt left, then 429.
        api.login("root", ADMIN_PASSWORD).await;
        let limited = api.login("root", ADMIN_PASSWORD).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers.contains_key("retry-after"));

        // Revocation: key, disabled user, logout — each refused at once.
        let key_id = listed["id"].as_str().unwrap();
        let revoked = api
            .call(
                "DELETE",
                &format!("/api/v1/auth/api-keys/{key_id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        assert_eq!(
            api.call("GET", "/api/v1/auth/me", Some(&secret), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let out = api
            .call("POST", "/api/v1/auth/logout", Some(&admin), None)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(
            api.call("GET", "/api/v1/users", Some(&admin), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        assert!(
            logs.contains("auth_failure"),
            "failed logins are auth_failure log lines"
        );
        assert!(
            logs.contains("blocked"),
            "lockout and rate limit are logged as blocked"
        );
        assert!(logs.contains("security"), "changes are security log lines");
        let dumped = dump(&api.store).await;
        for secret in [ADMIN_PASSWORD, "operator password 1", &admin, &secret] {
            assert!(!logs.contains(secret), "a secret reached the log");
            assert!(!dumped.contains(secret), "a secret is stored in clear");
        }
    })
    .await;
}

#[tokio::test]
async fn disabled_users_tokens_stop_working_at_once() {
    for_each_backend(|store| async move {
        let api = Api::new(store).await;
        let admin = api.token("root", ADMIN_PASSWORD).await;
        let body = json!({"username": "vic", "password": "viewer password 1", "roles": ["viewer"]});
        api.call("POST", "/api/v1/users", Some(&admin), Some(body))
            .await;
        let vic = api.token("vic", "viewer password 1").await;
        assert_eq!(
            api.call("GET", "/api/v1/nodes", Some(&vic), None)
                .await
                .status,
            StatusCode::OK
        );
        let disable = json!({"disabled": true});
        let answer = api
            .call("PATCH", "/api/v1/users/vic", Some(&admin), Some(disable))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["disabled"], true);
        assert_eq!(
            api.call("GET", "/api/v1/nodes", Some(&vic), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            api.login("vic", "viewer password 1").await.status,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}
