//! A real browser for end-to-end tests: headless Chromium driven over WebDriver by a private
//! `chromedriver`.
//!
//! Every [`Browser`] has its own chromedriver process on a free localhost port, its own fresh
//! Chromium profile and its own download directory, so tests running in parallel share nothing.
//! Dropping it ends the WebDriver session, stops chromedriver (and any Chromium process left
//! on its profile) and removes the scratch directory.
//!
//! When a test fails with a browser open, a screenshot and the page's HTML are saved as
//! `target/browser-failures/<test>-<timestamp>.{png,html}` and the paths printed: by
//! [`Browser::run`], which wraps the test body (panics and errors alike), and otherwise when the
//! browser is dropped while the test panics. The latter needs the test's runtime to keep
//! running while the test thread unwinds, which the multi-threaded runtime of
//! [`backend_tests!`](crate::backend_tests) does.
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages
//! (`XIAOYOU_CHROMIUM` and `XIAOYOU_CHROMEDRIVER` name other binaries). When either is missing,
//! [`Browser::start`] fails saying what to install: browser tests fail, they never skip.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use xiaoyou_testkit::browser::Browser;
//! let browser = Browser::start().await?;
//! browser
//!     .run(async |b| {
//!         b.goto("http://127.0.0.1:8080/login").await?;
//!         b.fill("#username", "admin").await?;
//!         b.fill("#password", "secret").await?;
//!         b.submit("form[action='/login']").await?;
//!         assert_eq!(b.path().await?, "/");
//!         Ok(())
//!     })
//!     .await
//! # }
//! ```

// Unlike the rest of the testkit, the browser reports every failure as an error with context.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::fs;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::RuntimeFlavor;

/// Names a chromedriver binary other than `/usr/bin/chromedriver`.
pub const CHROMEDRIVER_VAR: &str = "XIAOYOU_CHROMEDRIVER";
/// Names a Chromium binary other than `/usr/bin/chromium`.
pub const CHROMIUM_VAR: &str = "XIAOYOU_CHROMIUM";

/// How long the `wait_for…` helpers wait unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const INSTALL_HINT: &str = "browser tests need Chromium and its WebDriver: install the Debian \
                            packages chromium and chromium-driver \
                            (apt-get install chromium chromium-driver)";

const WINDOW_SIZE: &str = "1280,900";
const POLL: Duration = Duration::from_millis(100);

/// A headless Chromium with its own chromedriver, profile and download directory.
pub struct Browser {
    client: Client,
    name: String,
    downloads: PathBuf,
    session_open: bool,
    failure_saved: AtomicBool,
    taken_downloads: Mutex<HashSet<PathBuf>>,
    // Dropped in this order after `Drop::drop`: chromedriver (and leftover browsers), then the
    // scratch directory holding the profile and the downloads.
    driver: Option<Driver>,
    _scratch: Scratch,
}

/// Where a failed test's screenshot and page were saved.
#[derive(Debug, Clone)]
pub struct FailureArtifacts {
    pub screenshot: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl Browser {
    /// Starts a browser named after the running test (libtest names each test's thread).
    pub async fn start() -> Result<Browser> {
        let name = std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .unwrap_or("browser")
            .to_owned();
        Browser::start_named(&name).await
    }

    /// Starts a browser; `name` begins the file names of failure screenshots.
    pub async fn start_named(name: &str) -> Result<Browser> {
        let chromedriver = locate(CHROMEDRIVER_VAR, "/usr/bin/chromedriver", "chromedriver")?;
        let chromium = locate(CHROMIUM_VAR, "/usr/bin/chromium", "chromium")?;
        let scratch = Scratch::create()?;
        let profile = scratch.0.join("profile");
        let downloads = scratch.0.join("downloads");
        for dir in [&profile, &downloads] {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let driver = Driver::spawn(&chromedriver, &scratch.0, &profile).await?;
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities(&chromium, &profile, &downloads));
        let client = builder
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .with_context(|| {
                format!(
                    "chromedriver could not start {} in a new session; {INSTALL_HINT}{}",
                    chromium.display(),
                    driver.log_tail()
                )
            })?;
        Ok(Browser {
            client,
            name: file_safe(name),
            downloads,
            session_open: true,
            failure_saved: AtomicBool::new(false),
            taken_downloads: Mutex::new(HashSet::new()),
            driver: Some(driver),
            _scratch: scratch,
        })
    }

    /// Runs a test body with this browser and closes it afterwards. When the body fails (an
    /// error or a panic), the screenshot and page are saved first; the error is returned and a
    /// panic carries on.
    pub async fn run<F>(mut self, body: F) -> Result<()>
    where
        F: AsyncFnOnce(&Browser) -> Result<()>,
    {
        let outcome = AssertUnwindSafe(body(&self)).catch_unwind().await;
        if !matches!(outcome, Ok(Ok(()))) {
            self.record_failure().await;
        }
        let closed = self.close_session().await;
        match outcome {
            Ok(Ok(())) => closed,
            Ok(Err(error)) => Err(error),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Ends the WebDriver session and stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        self.close_session().await
    }

    async fn close_session(&mut self) -> Result<()> {
        if !self.session_open {
            return Ok(());
        }
        self.session_open = false;
        self.client
            .clone()
            .close()
            .await
            .context("ending the WebDriver session")
    }

    /// The name failure files start with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying WebDriver client, for what this API does not offer.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the browser saves downloads.
    pub fn download_dir(&self) -> &Path {
        &self.downloads
    }

    async fn failed(&self, error: CmdError, what: String) -> anyhow::Error {
        let at = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "an unknown page".to_owned(),
        };
        anyhow::Error::new(error).context(format!("{what} (at {at})"))
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// The address of the current page.
    pub async fn current_url(&self) -> Result<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the current URL")?
            .to_string())
    }

    /// The path of the current page, without query or fragment.
    pub async fn path(&self) -> Result<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the current URL")?
            .path()
            .to_owned())
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> Result<String> {
        self.client.title().await.context("reading the page title")
    }

    /// The first element matching a CSS selector.
    pub async fn find(&self, css: &str) -> Result<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => Ok(element),
            Err(error) => Err(self
                .failed(error, format!("no element matches `{css}`"))
                .await),
        }
    }

    /// Every element matching a CSS selector (possibly none).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        match self.client.find_all(Locator::Css(css)).await {
            Ok(elements) => Ok(elements),
            Err(error) => Err(self.failed(error, format!("looking for `{css}`")).await),
        }
    }

    /// Whether some element matches a CSS selector.
    pub async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.find_all(css).await?.is_empty())
    }

    /// Clicks the first element matching a CSS selector (a link is followed, a button pressed).
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        match element.click().await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.failed(error, format!("clicking `{css}`")).await),
        }
    }

    /// Clicks the link whose text is exactly `text`.
    pub async fn click_link(&self, text: &str) -> Result<()> {
        let link = match self.client.find(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(error) => {
                return Err(self.failed(error, format!("no link reads `{text}`")).await);
            }
        };
        match link.click().await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.failed(error, format!("clicking `{text}`")).await),
        }
    }

    /// Empties a field and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        if let Err(error) = field.clear().await {
            return Err(self.failed(error, format!("clearing `{css}`")).await);
        }
        match field.send_keys(text).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.failed(error, format!("typing into `{css}`")).await),
        }
    }

    /// Types `text` into a field after what it holds.
    pub async fn type_text(&self, css: &str, text: &str) -> Result<()> {
        let field = self.find(css).await?;
        match field.send_keys(text).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.failed(error, format!("typing into `{css}`")).await),
        }
    }

    /// Submits a form the way a person does: by clicking its submit button.
    pub async fn submit(&self, form_css: &str) -> Result<()> {
        let button_css = format!(
            "{form_css} button[type=submit], {form_css} input[type=submit], \
             {form_css} button:not([type])"
        );
        self.click(&button_css)
            .await
            .with_context(|| format!("submitting the form `{form_css}`"))
    }

    /// Puts a file into an `<input type=file>` (the path need not be absolute).
    pub async fn upload(&self, css: &str, file: &Path) -> Result<()> {
        let absolute = fs::canonicalize(file)
            .with_context(|| format!("the file to upload, {}", file.display()))?;
        let text = absolute
            .to_str()
            .ok_or_else(|| anyhow!("{} is not valid UTF-8", absolute.display()))?;
        self.type_text(css, text).await
    }

    /// The visible text of the first element matching a CSS selector.
    pub async fn text(&self, css: &str) -> Result<String> {
        let element = self.find(css).await?;
        match element.text().await {
            Ok(text) => Ok(text),
            Err(error) => Err(self.failed(error, format!("reading `{css}`")).await),
        }
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> Result<String> {
        self.text("body").await
    }

    /// An attribute of the first element matching a CSS selector.
    pub async fn attr(&self, css: &str, attribute: &str) -> Result<Option<String>> {
        let element = self.find(css).await?;
        match element.attr(attribute).await {
            Ok(value) => Ok(value),
            Err(error) => Err(self
                .failed(error, format!("reading `{attribute}` of `{css}`"))
                .await),
        }
    }

    /// The current page's HTML as the browser holds it now.
    pub async fn source(&self) -> Result<String> {
        self.client
            .source()
            .await
            .context("reading the page source")
    }

    /// A PNG screenshot of the window.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        self.client
            .screenshot()
            .await
            .context("taking a screenshot")
    }

    /// Saves a PNG screenshot of the window.
    pub async fn save_screenshot(&self, path: &Path) -> Result<()> {
        let png = self.screenshot().await?;
        fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Waits up to [`DEFAULT_TIMEOUT`] for an element matching a CSS selector.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        self.wait_for_within(css, DEFAULT_TIMEOUT).await
    }

    /// Waits up to `timeout` for an element matching a CSS selector.
    pub async fn wait_for_within(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return Ok(element);
            }
            if Instant::now() >= deadline {
                let at = self.current_url().await.unwrap_or_default();
                bail!("no element matched `{css}` within {timeout:?} (at {at})");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits up to [`DEFAULT_TIMEOUT`] until the current path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        self.wait_until(
            &format!("the path to be {path}"),
            DEFAULT_TIMEOUT,
            async |b| Ok(b.path().await? == path),
        )
        .await
    }

    /// Waits up to `timeout` until `condition` holds; `what` describes it for the error. An
    /// error from the condition counts as "not yet" and is reported if time runs out.
    pub async fn wait_until<F>(&self, what: &str, timeout: Duration, mut condition: F) -> Result<()>
    where
        F: AsyncFnMut(&Browser) -> Result<bool>,
    {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        loop {
            match condition(self).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(error) => last_error = Some(error),
            }
            if Instant::now() >= deadline {
                let at = self.current_url().await.unwrap_or_default();
                let error = anyhow!("waited {timeout:?} for {what} (at {at})");
                return Err(match last_error {
                    Some(last) => last.context(error),
                    None => error,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Finished downloads, oldest first.
    pub fn downloads(&self) -> Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        let entries = fs::read_dir(&self.downloads)
            .with_context(|| format!("listing {}", self.downloads.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", self.downloads.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Chromium writes `.com.google.Chrome.*` and `*.crdownload` while downloading, and
            // renames the file when it is complete.
            if name.starts_with('.') || name.ends_with(".crdownload") {
                continue;
            }
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_file() {
                let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                found.push((modified, entry.path()));
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, path)| path).collect())
    }

    /// Waits up to `timeout` for a download that no earlier call returned to finish, and
    /// returns its path (in [`download_dir`](Browser::download_dir)).
    pub async fn wait_for_download(&self, timeout: Duration) -> Result<PathBuf> {
        let deadline = Instant::now() + timeout;
        loop {
            let finished = self.downloads()?;
            {
                let mut taken = self
                    .taken_downloads
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(path) = finished.into_iter().find(|path| !taken.contains(path)) {
                    taken.insert(path.clone());
                    return Ok(path);
                }
            }
            if Instant::now() >= deadline {
                let present: Vec<String> = fs::read_dir(&self.downloads)
                    .map(|entries| {
                        entries
                            .flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                bail!(
                    "no new download finished in {} within {timeout:?} (present: {present:?})",
                    self.downloads.display()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Saves a screenshot and the page's HTML under `target/browser-failures/` and prints
    /// where.
    pub async fn save_failure_artifacts(&self) -> FailureArtifacts {
        let url = self.client.current_url().await.ok().map(|u| u.to_string());
        let png = self.client.screenshot().await.ok();
        let html = self.client.source().await.ok();
        write_failure_artifacts(&self.name, url, png, html)
    }

    async fn record_failure(&self) {
        if !self.failure_saved.swap(true, Ordering::SeqCst) {
            self.save_failure_artifacts().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        let save = panicking && !self.failure_saved.swap(true, Ordering::SeqCst);
        // The WebDriver session runs as a task on the test's runtime. A single-threaded runtime
        // cannot drive it while this thread is blocked here: leave it to killing the processes.
        let session_reachable = tokio::runtime::Handle::try_current().map_or(true, |runtime| {
            runtime.runtime_flavor() != RuntimeFlavor::CurrentThread
        });
        if save && !session_reachable {
            eprintln!(
                "browser test {} failed; no screenshot: the browser was dropped on a \
                 single-threaded runtime (use Browser::run, or a multi-threaded runtime)",
                self.name
            );
        }
        if session_reachable && (save || self.session_open) {
            // Talking to the browser is async; the session itself runs on the test's runtime,
            // which may be the one this thread is blocked in, so ask from a thread of our own.
            let client = self.client.clone();
            let name = self.name.clone();
            let close = self.session_open;
            self.session_open = false;
            on_own_thread(Duration::from_secs(15), async move {
                if save {
                    let url = client.current_url().await.ok().map(|u| u.to_string());
                    let png = client.screenshot().await.ok();
                    let html = client.source().await.ok();
                    write_failure_artifacts(&name, url, png, html);
                }
                if close {
                    let _ = client.close().await;
                }
            });
        }
        self.driver.take();
    }
}

/// Runs a future on a fresh thread with its own runtime, giving up after `timeout`.
fn on_own_thread<F>(timeout: Duration, work: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let _ = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = runtime.block_on(async move { tokio::time::timeout(timeout, work).await });
        }
    })
    .join();
}

/// `target/browser-failures` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn failure_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."))
        .to_owned();
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("browser-failures")
}

fn write_failure_artifacts(
    name: &str,
    url: Option<String>,
    png: Option<Vec<u8>>,
    html: Option<String>,
) -> FailureArtifacts {
    let dir = failure_dir();
    let mut saved = FailureArtifacts {
        screenshot: None,
        html: None,
    };
    if let Err(error) = fs::create_dir_all(&dir) {
        eprintln!(
            "browser test {name} failed; could not create {}: {error}",
            dir.display()
        );
        return saved;
    }
    let stem = format!("{name}-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
    let url = url.unwrap_or_else(|| "an unknown page".to_owned());
    eprintln!("browser test {name} failed at {url}");
    match png {
        Some(png) => {
            let path = dir.join(format!("{stem}.png"));
            match fs::write(&path, png) {
                Ok(()) => {
                    eprintln!("  screenshot: {}", path.display());
                    saved.screenshot = Some(path);
                }
                Err(error) => eprintln!("  could not write {}: {error}", path.display()),
            }
        }
        None => eprintln!("  no screenshot: the browser did not answer"),
    }
    match html {
        Some(html) => {
            let path = dir.join(format!("{stem}.html"));
            let text = format!("<!-- {url} -->\n{html}");
            match fs::write(&path, text) {
                Ok(()) => {
                    eprintln!("  page HTML:  {}", path.display());
                    saved.html = Some(path);
                }
                Err(error) => eprintln!("  could not write {}: {error}", path.display()),
            }
        }
        None => eprintln!("  no page HTML: the browser did not answer"),
    }
    saved
}

/// The WebDriver capabilities: headless Chromium on a fresh profile, downloads without asking.
fn capabilities(chromium: &Path, profile: &Path, downloads: &Path) -> Map<String, Value> {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--lang=zh-CN".to_owned(),
        format!("--window-size={WINDOW_SIZE}"),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = Map::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert("pageLoadStrategy".to_owned(), json!("normal"));
    capabilities.insert(
        "timeouts".to_owned(),
        json!({ "implicit": 0, "pageLoad": 30_000, "script": 30_000 }),
    );
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium.to_string_lossy(),
            "args": args,
            "prefs": {
                "download.default_directory": downloads.to_string_lossy(),
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "safebrowsing.enabled": false,
            },
        }),
    );
    capabilities
}

/// A test-name fragment usable in a file name: `office::sqlite` → `office-sqlite`.
fn file_safe(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "browser".to_owned()
    } else {
        out.to_owned()
    }
}

/// A binary named by `var`, or at `default`, or on `PATH`.
fn locate(var: &str, default: &str, name: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        if is_executable(&path) {
            return Ok(path);
        }
        bail!(
            "{var}={} is not an executable file; {INSTALL_HINT}",
            path.display()
        );
    }
    let default_path = Path::new(default);
    if is_executable(default_path) {
        return Ok(default_path.to_owned());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    });
    on_path
        .ok_or_else(|| anyhow!("{name} not found (not at {default}, not on PATH); {INSTALL_HINT}"))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// A temporary directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("xiaoyou-browser-{}", crate::unique_suffix()));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for _ in 0..20 {
            if fs::remove_dir_all(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running chromedriver, killed on drop together with any Chromium left on its profile.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
    profile: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it answers. A port taken by someone
    /// else between choosing and binding it makes chromedriver exit; then another is tried.
    async fn spawn(binary: &Path, scratch: &Path, profile: &Path) -> Result<Driver> {
        let log = scratch.join("chromedriver.log");
        let mut last_error = None;
        for _ in 0..5 {
            let port = free_port()?;
            let out =
                fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
            let err = out
                .try_clone()
                .with_context(|| format!("opening {}", log.display()))?;
            let child = Command::new(binary)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .with_context(|| format!("starting {}; {INSTALL_HINT}", binary.display()))?;
            let mut driver = Driver {
                child,
                port,
                log: log.clone(),
                profile: profile.to_owned(),
            };
            match driver.wait_ready(Duration::from_secs(20)).await {
                Ok(()) => return Ok(driver),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("chromedriver did not start")))
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().context("watching chromedriver")? {
                bail!(
                    "chromedriver exited ({status}) before answering on port {}{}",
                    self.port,
                    self.log_tail()
                );
            }
            if let Ok(answer) = http_get(self.port, "/status").await {
                let compact: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
                if compact.contains("\"ready\":true") {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "chromedriver did not answer on port {} within {timeout:?}{}",
                    self.port,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The end of chromedriver's output, for error messages.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.trim().is_empty() {
            String::new()
        } else {
            format!("\nchromedriver said:\n{tail}")
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A browser whose session just ended may still be writing its profile as it quits;
        // wait for it (killing what is left) so that the profile can be removed.
        let deadline = Instant::now() + Duration::from_secs(5);
        while kill_browsers_on(&self.profile) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Kills any Chromium process still running on `profile` (one whose session was not ended,
/// for example because the test's runtime had stopped), and says how many there were. Only
/// ours use that directory.
#[cfg(target_os = "linux")]
fn kill_browsers_on(profile: &Path) -> usize {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    let mut found = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes())
        {
            found += 1;
            let _ = Command::new("kill")
                .args(["-KILL", pid])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    found
}

#[cfg(not(target_os = "linux"))]
fn kill_browsers_on(_profile: &Path) -> usize {
    0
}

/// A localhost port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("finding a free localhost port")?;
    Ok(listener
        .local_addr()
        .context("finding a free localhost port")?
        .port())
}

/// A plain HTTP GET to localhost; the whole answer, headers included. chromedriver keeps the
/// connection open, so the answer ends where its `Content-Length` says.
async fn http_get(port: u16, path: &str) -> Result<String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let read = stream.read(&mut chunk).await?;
            answer.extend_from_slice(&chunk[..read]);
            if read == 0 || is_complete(&answer) {
                return Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer).into_owned());
            }
        }
    };
    Ok(tokio::time::timeout(Duration::from_secs(2), exchange).await??)
}

/// Whether an HTTP answer holds all the body its `Content-Length` announces.
fn is_complete(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    length.is_some_and(|length| answer.len() >= end + 4 + length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_end_at_their_content_length() {
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length:2\r\n\r\nok"
        ));
        assert!(is_complete(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length:3\r\n\r\nok"
        ));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\nContent-Length:2\r\n"));
    }

    #[test]
    fn names_become_file_safe() {
        assert_eq!(file_safe("office_walk::sqlite"), "office_walk-sqlite");
        assert_eq!(file_safe("a b/c"), "a-b-c");
        assert_eq!(file_safe("::"), "browser");
    }

    #[test]
    fn missing_binaries_name_the_packages() {
        let error = locate(
            "XIAOYOU_TEST_NO_SUCH_VARIABLE",
            "/nonexistent/chromedriver",
            "xiaoyou-no-such-chromedriver",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(error.contains("chromium-driver"), "{error}");
        assert!(error.contains("apt-get install chromium chromium-driver"));
    }

    #[test]
    fn downloads_go_to_the_given_directory() {
        let capabilities = capabilities(
            Path::new("/usr/bin/chromium"),
            Path::new("/tmp/p"),
            Path::new("/tmp/d"),
        );
        let options = &capabilities["goog:chromeOptions"];
        assert_eq!(options["prefs"]["download.default_directory"], "/tmp/d");
        assert_eq!(options["prefs"]["download.prompt_for_download"], false);
        let args = options["args"].as_array().cloned().unwrap_or_default();
        assert!(args.contains(&json!("--headless=new")));
        assert!(args.contains(&json!("--user-data-dir=/tmp/p")));
    }
}
