//! Serving the dashboard: a loopback listener on a free port (unless `-port`/`-bind` say
//! otherwise), the URL with the server's token printed, axum routes over one reader
//! connection to megatest.db (WAL: it never blocks a run), pages built with maud (every
//! value escaped), files only from run directories, and actions only with the token from
//! the dashboard's own pages.

use super::actions::{ActionForm, apply};
use super::assets;
use super::filters::Filters;
use super::matrix;
use super::panel;
use crate::area::Area;
use crate::db::Store;
use crate::error::{Error, ErrorKind, Result};
use crate::model::TestId;
use crate::runner::removal::Roots;
use axum::Router;
use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// How to serve.
#[derive(Debug, Clone)]
pub struct DashboardOptions {
    /// Runs per page of the Runs view.
    pub per_page: usize,
    /// The port (0: a free one).
    pub port: u16,
    /// The address to listen on (loopback unless told).
    pub bind: IpAddr,
}

/// What the handlers share.
struct App {
    area: Area,
    control: super::control::Control,
    store: Mutex<Store>,
    token: String,
    per_page: usize,
    /// Where run directories may be (the area's configs are read once).
    root_candidates: Vec<std::path::PathBuf>,
    /// Writes this server made: SQLite's `data_version` does not count a connection's own
    /// commits, so the live views count them here.
    own_writes: std::sync::atomic::AtomicU64,
}

impl App {
    /// The run directories' roots, resolved now: a link tree made after the server started
    /// counts.
    fn roots(&self) -> Roots {
        Roots::new(self.root_candidates.clone())
    }

    /// What the live views compare: the database's version and this server's writes.
    fn version(&self, store: &Store) -> Result<String> {
        let own = self.own_writes.load(std::sync::atomic::Ordering::SeqCst);
        Ok(format!("{}.{own}", store.data_version()?))
    }
}

type Shared = Arc<App>;

/// Serves the dashboard of `area` until interrupted (Ctrl-C).
pub fn serve(area: Area, opts: DashboardOptions) -> Result<()> {
    let store = Store::open(&area)?;
    let listener = std::net::TcpListener::bind((opts.bind, opts.port)).map_err(|e| {
        Error::usage(format!(
            "cannot listen on {}:{}: {}",
            opts.bind,
            opts.port,
            crate::sys::io_reason(&e)
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::of(ErrorKind::Io, format!("no listening address: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::of(ErrorKind::Io, format!("cannot set up the listener: {e}")))?;
    let token = new_token()?;
    let app = Arc::new(App {
        own_writes: std::sync::atomic::AtomicU64::new(0),
        root_candidates: Roots::candidates_of_area(&area),
        control: super::control::Control::default(),
        area,
        store: Mutex::new(store),
        token: token.clone(),
        per_page: opts.per_page,
    });
    crate::output::stdout::println(&format!("dashboard: http://{addr}/?token={token}"));
    crate::output::log::emit(format_args!(
        "dashboard: serving {} (Ctrl-C stops it)",
        app.area.top.display()
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::of(ErrorKind::Io, format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot use the listener: {e}")))?;
        axum::serve(listener, router(app))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| Error::of(ErrorKind::Io, format!("the server failed: {e}")))
    })
}

fn router(app: Shared) -> Router {
    Router::new()
        .route("/", get(runs_page))
        .route("/matrix", get(matrix_fragment))
        .route("/version", get(version))
        .route("/test/{id}", get(test_page))
        .route("/file/{id}/{*name}", get(file))
        .route("/action/{id}", post(action))
        .route("/summary", get(summary_page))
        .route("/control", get(control_page))
        .route("/control/start", post(control_start))
        .route("/control/stop/{pid}", post(control_stop))
        .route("/style.css", get(style))
        .route("/app.js", get(script))
        .layer(axum::middleware::from_fn(known_host))
        .with_state(app)
}

/// Refuses a request whose `Host` is a name other than `localhost` or this machine's: a page
/// of another site whose name was made to point at this address (DNS rebinding) reads
/// nothing.
async fn known_host(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host_is_known(host) {
        next.run(request).await
    } else {
        failure(StatusCode::FORBIDDEN, "refused: unknown Host")
    }
}

/// Whether `host` (`name:port`, `[v6]:port` or an address) names this machine.
fn host_is_known(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || name.eq_ignore_ascii_case(&crate::sys::host_name())
}

/// A token no other page can guess: 16 bytes from the kernel's generator.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::of(ErrorKind::Io, format!("no random token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs `f` with the database on a blocking thread.
async fn with_store<T: Send + 'static>(
    app: &Shared,
    f: impl FnOnce(&App, &Store) -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let store = app.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&app, &store)
    })
    .await
    .map_err(|e| failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?
    .map_err(|e| failure(StatusCode::BAD_REQUEST, &crate::error::render(&e)))
}

fn failure(code: StatusCode, message: &str) -> Response {
    (code, page("error", html! { pre.error { (message) } })).into_response()
}

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html {
            head {
                meta charset="utf-8";
                title { (title) " — megatest dashboard" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                (body)
                script src="/app.js" {}
            }
        }
    }
}

async fn runs_page(State(app): State<Shared>, Query(filters): Query<Filters>) -> Response {
    let area_name = app.area.top.display().to_string();
    let per_page = app.per_page;
    let f = filters.clone();
    let (matrix, version) = match with_store(&app, move |app, store| {
        Ok((matrix::load(store, &f, per_page)?, app.version(store)?))
    })
    .await
    {
        Ok(m) => m,
        Err(r) => return r,
    };
    page(
        "Runs",
        html! {
            header {
                h1 { "Runs" }
                span.area { (area_name) }
                a.control href={ "/control" @if !filters.token.is_empty() { "?token=" (super::filters::encode(&filters.token)) } } { "Run Control" }
                a.summary href={ "/summary?" (filters.query(0)) } { "Summary and trends" }
            }
            form.filters method="get" action="/" {
                label { "target " input name="target" value=(filters.target) placeholder="%"; }
                label { "run name " input name="runname" value=(filters.runname) placeholder="%"; }
                label { "tests " input name="testpatt" value=(filters.testpatt) placeholder="%"; }
                label { "hide " input name="hide" value=(filters.hide) placeholder="NOT_STARTED,PASS"; }
                @if !filters.token.is_empty() {
                    input type="hidden" name="token" value=(filters.token);
                }
                button type="submit" { "Show" }
            }
            div #matrix data-version=(version) { (matrix::render(&matrix, &filters)) }
        },
    )
    .into_response()
}

async fn matrix_fragment(State(app): State<Shared>, Query(filters): Query<Filters>) -> Response {
    let per_page = app.per_page;
    let f = filters.clone();
    match with_store(&app, move |_, store| matrix::load(store, &f, per_page)).await {
        Ok(m) => matrix::render(&m, &filters).into_response(),
        Err(r) => r,
    }
}

async fn version(State(app): State<Shared>) -> Response {
    // Polled by every open page: runs started here are reaped as they end.
    match with_store(&app, |app, store| {
        app.control.reap();
        app.version(store)
    })
    .await
    {
        Ok(v) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            v,
        )
            .into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::host_is_known;

    #[test]
    fn only_addresses_and_this_machines_names_are_hosts() {
        assert!(host_is_known("127.0.0.1:8080"));
        assert!(host_is_known("[::1]:8080"));
        assert!(host_is_known("localhost:1"));
        assert!(!host_is_known("evil.example:8080"));
        assert!(!host_is_known(""));
    }
}

#[derive(Debug, Default, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn test_page(
    State(app): State<Shared>,
    UrlPath(id): UrlPath<i64>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.clone();
    match with_store(&app, move |app, store| {
        panel::render(store, TestId(id), &token, &app.roots())
    })
    .await
    {
        Ok(Some(body)) => page("Test", body).into_response(),
        Ok(None) => failure(StatusCode::NOT_FOUND, &format!("no test record {id}")),
        Err(r) => r,
    }
}

/// The largest file served (a log beyond it is for the shell).
const MAX_FILE: u64 = 256 * 1024 * 1024;

async fn file(State(app): State<Shared>, UrlPath((id, name)): UrlPath<(i64, String)>) -> Response {
    // The record under the lock; the file read outside it (a big log blocks no view).
    let found = with_store(&app, move |app, store| {
        let Some(test) = store.test(TestId(id))? else {
            return Ok(Err(StatusCode::NOT_FOUND));
        };
        Ok(
            match super::files::resolve(std::path::Path::new(&test.rundir()), &name, &app.roots()) {
                Ok(p) => Ok(p),
                Err(super::files::Refused::Missing) => Err(StatusCode::NOT_FOUND),
                Err(_) => Err(StatusCode::FORBIDDEN),
            },
        )
    })
    .await;
    let path = match found {
        Ok(Ok(path)) => path,
        Ok(Err(code)) => return failure(code, "not a file of this test's run directory"),
        Err(r) => return r,
    };
    let read = tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        std::fs::read(&path)
            .map(|bytes| (super::files::content_type(&path), bytes))
            .map_err(|_| StatusCode::NOT_FOUND)
    })
    .await;
    match read {
        Ok(Ok((kind, bytes))) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
                // A page from a run directory runs in a sandbox: it cannot act as the dashboard.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("sandbox"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(code)) => failure(code, "the file cannot be served"),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Whether a request comes from the dashboard's own pages: its Origin is this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => origin == format!("http://{host}"),
        _ => false,
    }
}

async fn action(
    State(app): State<Shared>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(no) = refused(&app, &form.token, &headers) {
        return no;
    }
    let token = super::filters::encode(&form.token);
    let cleaned = form.action == "clean";
    let done = with_store(&app, move |app, store| {
        let done = apply(
            &app.area,
            store,
            &app.roots(),
            &app.control,
            TestId(id),
            &form,
        );
        app.own_writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        done
    })
    .await;
    match done {
        // A removed test has no panel: back to the runs.
        Ok(_) if cleaned => Redirect::to(&format!("/?token={token}")).into_response(),
        Ok(_) => Redirect::to(&format!("/test/{id}?token={token}")).into_response(),
        Err(r) => r,
    }
}

/// Refuses a posted request without the token, or not from the dashboard's own page.
fn refused(app: &App, token: &str, headers: &HeaderMap) -> Option<Response> {
    if token != app.token {
        return Some(failure(
            StatusCode::FORBIDDEN,
            "refused: the token is missing or wrong",
        ));
    }
    if !same_origin(headers) {
        return Some(failure(
            StatusCode::FORBIDDEN,
            "refused: the request does not come from this dashboard",
        ));
    }
    None
}

async fn summary_page(State(app): State<Shared>, Query(filters): Query<Filters>) -> Response {
    match with_store(&app, move |_, store| {
        super::summary::render(store, &filters)
    })
    .await
    {
        Ok(body) => page("Summary", body).into_response(),
        Err(r) => r,
    }
}

async fn control_page(State(app): State<Shared>, Query(q): Query<TokenQuery>) -> Response {
    let token = q.token.clone();
    match with_store(&app, move |app, _| {
        Ok(app.control.render(&app.area, &token))
    })
    .await
    {
        Ok(body) => page("Run Control", body).into_response(),
        Err(r) => r,
    }
}

async fn control_start(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<super::control::StartForm>,
) -> Response {
    if let Some(no) = refused(&app, &form.token, &headers) {
        return no;
    }
    let token = form.token.clone();
    match with_store(&app, move |app, _| app.control.start(&app.area, &form)).await {
        Ok(_) => Redirect::to(&format!(
            "/control?token={}",
            super::filters::encode(&token)
        ))
        .into_response(),
        Err(r) => r,
    }
}

async fn control_stop(
    State(app): State<Shared>,
    UrlPath(pid): UrlPath<u32>,
    headers: HeaderMap,
    Form(q): Form<TokenQuery>,
) -> Response {
    if let Some(no) = refused(&app, &q.token, &headers) {
        return no;
    }
    if !app.control.stop(pid) {
        return failure(StatusCode::NOT_FOUND, "not a run this dashboard started");
    }
    Redirect::to(&format!(
        "/control?token={}",
        super::filters::encode(&q.token)
    ))
    .into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/css"))],
        format!("{}{}", assets::STYLE, super::colors::style_rules()),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript"),
        )],
        assets::SCRIPT,
    )
        .into_response()
}
