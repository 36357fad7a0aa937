//! `app-server serve` on Lakebase as a process: the database credential and the app's own calls
//! share one service principal client. Needs `TEST_POSTGRES_URL`.

#[path = "common/postgres.rs"]
mod postgres_db;

#[path = "lakebase/harness.rs"]
mod harness;

mod server_process;

use harness::{CREDENTIALS_ROUTE, Lakebase};
use serde_json::Value;
use server_process::AppProcess;

const TOKEN_ROUTE: &str = "POST /oidc/v1/token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lakebase_and_fallback_share_one_token() {
    let lakebase = Lakebase::start(3600).await;
    let mut env = lakebase.env();
    // A blank DATABASE_URL counts as unset, so Lakebase is the only database.
    env.push(("DATABASE_URL".to_owned(), String::new()));
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let app = AppProcess::serve(&lakebase.emulator, &env).await;

    let http = reqwest::Client::new();
    let me = http
        .get(app.url("/api/user/me"))
        .send()
        .await
        .expect("request to the app");
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.expect("JSON body");
    assert_eq!(me["user_id"], lakebase.sp_id.as_str());

    assert_eq!(lakebase.calls(CREDENTIALS_ROUTE).await, 1);
    assert_eq!(lakebase.calls(TOKEN_ROUTE).await, 1);
    app.terminate();
}
