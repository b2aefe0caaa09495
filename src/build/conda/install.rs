//! Solving and installing: repodata through rattler's gateway (with an
//! on-disk repodata cache), a resolvo solve, and rattler's installer with a
//! package cache, both under swrt's cache directory. Restore installs locked
//! records exactly, looked up by URL in their channel, with no solve.
//!
//! Only this file talks to the network (through rattler). It writes only
//! into the prefix it is given and the cache directory.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rattler::install::{Installer, Reporter, Transaction};
use rattler::package_cache::PackageCache;
use rattler_conda_types::{
    Channel, GenericVirtualPackage, MatchSpec, PackageName, ParseStrictness, PrefixRecord,
    RepoDataRecord, Subdir, prefix_record::PathType,
};
use rattler_repodata_gateway::{Gateway, GatewayError};
use rattler_solve::{SolveError, SolverImpl, SolverTask};
use rattler_virtual_packages::{VirtualPackageOverrides, VirtualPackages};

use super::{
    ChannelSettings, CondaEnvFile, CondaError, CondaLock, LockedPackage, Progress, verify_prefix,
};

/// Everything a conda environment is made from.
#[derive(Debug, Clone)]
pub struct CondaRequest {
    /// The env name written into the lock (the runtime's name).
    pub env_name: String,
    /// `environment.python` (`X.Y`), requested as `python=X.Y`.
    pub python: Option<String>,
    /// The `conda:` packages, in yaml order.
    pub specs: Vec<String>,
    /// The conda.yaml files, in yaml order: their dependencies join the solve
    /// and their channels follow `configs.conda.channels`.
    pub env_files: Vec<CondaEnvFile>,
    pub settings: ChannelSettings,
    /// Cache root for conda (`<swrt cache>/conda`): `repodata/` and `pkgs/`.
    pub cache_dir: PathBuf,
}

impl CondaRequest {
    /// The channel settings with the conda.yaml channels added.
    pub fn effective_settings(&self) -> ChannelSettings {
        let mut settings = self.settings.clone();
        for f in &self.env_files {
            settings.add_channels(&f.channels);
        }
        settings
    }

    /// Every match spec of the solve, python first.
    pub fn match_specs(&self) -> Result<Vec<MatchSpec>, CondaError> {
        let python = self.python.as_ref().map(|v| format!("python={v}"));
        python
            .iter()
            .chain(&self.specs)
            .chain(self.env_files.iter().flat_map(|f| &f.specs))
            .map(|s| {
                MatchSpec::from_str(s, ParseStrictness::Lenient).map_err(|e| {
                    CondaError::InvalidSpec {
                        spec: s.clone(),
                        message: e.to_string(),
                    }
                })
            })
            .collect()
    }
}

fn subdirs() -> Result<[Subdir; 2], CondaError> {
    let current = Subdir::current().ok_or(CondaError::UnknownPlatform)?;
    Ok([current, Subdir::NoArch])
}

fn gateway(settings: &ChannelSettings, cache_dir: &Path) -> Result<Gateway, CondaError> {
    let mut builder = Gateway::builder()
        .with_client(settings.client()?)
        .with_cache_dir(cache_dir.join("repodata"))
        .with_package_cache(PackageCache::new(cache_dir.join("pkgs")));
    if let Some(n) = settings.threads {
        builder = builder.with_max_concurrent_requests(n);
    }
    Ok(builder.finish())
}

/// Turns a gateway failure into an error that names the channel: rattler's
/// messages carry the URL that failed, so the channel is the one whose base
/// URL they mention.
fn gateway_error(err: GatewayError, channels: &[Channel]) -> CondaError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let named = channels.iter().find(|c| {
        let base = c.base_url.as_str().trim_end_matches('/');
        message.contains(base)
            || url::Url::parse(c.base_url.as_str())
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .is_some_and(|p| message.contains(&*p.to_string_lossy()))
    });
    match (named, &err) {
        (Some(c), _) => CondaError::ChannelUnreachable {
            channel: c.base_url.as_str().trim_end_matches('/').to_owned(),
            message,
        },
        (None, GatewayError::SubdirNotFoundError(_) | GatewayError::FetchRepoDataError(_)) => {
            CondaError::ChannelUnreachable {
                channel: channels
                    .iter()
                    .map(|c| c.base_url.as_str().trim_end_matches('/'))
                    .collect::<Vec<_>>()
                    .join(", "),
                message,
            }
        }
        (None, _) => CondaError::Repodata { message },
    }
}

fn virtual_packages() -> Result<Vec<GenericVirtualPackage>, CondaError> {
    VirtualPackages::detect(&VirtualPackageOverrides::default(), None)
        .map(|v| v.into_generic_virtual_packages().collect())
        .map_err(|e| CondaError::VirtualPackages {
            message: e.to_string(),
        })
}

/// Fetches repodata for the request's channels and solves it with resolvo.
/// Returns the records of the solution, sorted by name.
pub async fn solve(
    request: &CondaRequest,
    progress: Progress<'_>,
) -> Result<Vec<RepoDataRecord>, CondaError> {
    let started = std::time::Instant::now();
    let settings = request.effective_settings();
    let channels = settings.channels()?;
    let specs = request.match_specs()?;
    progress(format!(
        "conda: fetching repodata from {}",
        channels
            .iter()
            .map(|c| c.base_url.as_str().trim_end_matches('/'))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let gateway = gateway(&settings, &request.cache_dir)?;
    let repodata = gateway
        .query(channels.clone(), subdirs()?, specs.clone())
        .recursive(true)
        .execute()
        .await
        .map_err(|e| gateway_error(e, &channels))?;
    let available: usize = repodata.repodata.iter().map(|r| r.len()).sum();
    progress(format!(
        "conda: solving {} ({available} candidate records)",
        specs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let virtual_packages = virtual_packages()?;
    // resolvo is CPU-bound and synchronous: keep it off the async workers.
    let solved = tokio::task::spawn_blocking(move || {
        let task = SolverTask {
            specs,
            virtual_packages,
            ..SolverTask::from_iter(repodata.repodata.iter().map(|r| r.iter()))
        };
        rattler_solve::resolvo::Solver.solve(task)
    })
    .await
    .map_err(|e| CondaError::Solve {
        message: e.to_string(),
    })?;
    let mut records = solved
        .map_err(|e| match e {
            SolveError::Unsolvable(reasons) => CondaError::Unsolvable {
                explanation: reasons.join("\n"),
            },
            other => CondaError::Solve {
                message: other.to_string(),
            },
        })?
        .records;
    records.sort_by(|a, b| a.package_record.name.cmp(&b.package_record.name));
    progress(format!(
        "conda: solved {} packages in {:.3}s: {}",
        records.len(),
        started.elapsed().as_secs_f64(),
        records
            .iter()
            .map(|r| LockedPackage::from_record(r).spec())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    Ok(records)
}

/// Solves the request and installs the solution into `prefix`. When the
/// prefix is a staging directory that will be moved, `final_prefix` is where
/// it will live: conda packages embed their prefix in text files and
/// shebangs, so they must be linked for the final location.
pub async fn create_env(
    request: &CondaRequest,
    prefix: &Path,
    final_prefix: Option<&Path>,
    progress: Progress<'_>,
) -> Result<CondaLock, CondaError> {
    let settings = request.effective_settings();
    let records = solve(request, progress).await?;
    let packages: Vec<LockedPackage> = records.iter().map(LockedPackage::from_record).collect();
    install_records(
        prefix,
        final_prefix,
        records,
        &settings,
        &request.cache_dir,
        progress,
    )
    .await?;
    Ok(CondaLock::new(
        &request.env_name,
        settings.names(),
        packages,
    ))
}

/// Installs exactly the locked packages into `prefix`, without solving: each
/// record is looked up by its URL in its channel's repodata and must still
/// have the locked sha256. The prefix is verified against the lock after.
pub async fn install_locked(
    packages: &[LockedPackage],
    settings: &ChannelSettings,
    cache_dir: &Path,
    prefix: &Path,
    final_prefix: Option<&Path>,
    progress: Progress<'_>,
) -> Result<(), CondaError> {
    let mut by_channel: BTreeMap<String, Vec<&LockedPackage>> = BTreeMap::new();
    for p in packages {
        by_channel
            .entry(p.channel_url()?.to_string())
            .or_default()
            .push(p);
    }
    let gateway = gateway(settings, cache_dir)?;
    let mut records = Vec::new();
    for (channel_url, locked) in by_channel {
        let url = url::Url::parse(&channel_url).map_err(|e| CondaError::InvalidLock {
            message: format!("`{channel_url}`: {e}"),
        })?;
        let channel = Channel::from_url(url);
        progress(format!(
            "conda: fetching repodata for {} locked packages from {}",
            locked.len(),
            channel_url.trim_end_matches('/')
        ));
        let subdir_names: BTreeSet<&str> = locked.iter().map(|p| p.subdir.as_str()).collect();
        let subdirs: Vec<Subdir> = subdir_names
            .iter()
            .map(|s| {
                s.parse::<Subdir>().map_err(|e| CondaError::InvalidLock {
                    message: format!("unknown subdir `{s}`: {e}"),
                })
            })
            .collect::<Result<_, _>>()?;
        let specs: Vec<MatchSpec> = locked
            .iter()
            .map(|p| {
                MatchSpec::from_str(&p.name, ParseStrictness::Lenient).map_err(|e| {
                    CondaError::InvalidLock {
                        message: format!("package name `{}`: {e}", p.name),
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        let repodata = gateway
            .query(vec![channel.clone()], subdirs, specs)
            .recursive(false)
            .execute()
            .await
            .map_err(|e| gateway_error(e, std::slice::from_ref(&channel)))?;
        for p in locked {
            let found = repodata
                .repodata
                .iter()
                .flat_map(|r| r.iter())
                .find(|r| r.url.as_str() == p.url)
                .ok_or_else(|| CondaError::LockedPackageMissing { url: p.url.clone() })?;
            let now = LockedPackage::from_record(found);
            if let (Some(expected), Some(found)) = (&p.sha256, &now.sha256)
                && expected != found
            {
                return Err(CondaError::LockedPackageChanged {
                    url: p.url.clone(),
                    expected: expected.clone(),
                    found: found.clone(),
                });
            }
            records.push(found.clone());
        }
    }
    install_records(prefix, final_prefix, records, settings, cache_dir, progress).await?;
    verify_prefix(prefix, packages)
}

/// Links every package of `prefix` again, in place. A prefix built at a
/// staging path keeps that path in its scripts and text files (conda
/// packages have the prefix substituted at link time); relinking from the
/// package cache with `final_prefix` (where the prefix is about to be moved)
/// writes the final location into them instead. Only conda's own files are
/// touched: pip-installed files are left as they are.
pub async fn relink_prefix(
    prefix: &Path,
    final_prefix: Option<&Path>,
    settings: &ChannelSettings,
    cache_dir: &Path,
    progress: Progress<'_>,
) -> Result<(), CondaError> {
    let installed: Vec<PrefixRecord> =
        PrefixRecord::collect_from_prefix(prefix).map_err(|source| CondaError::ReadPrefix {
            prefix: prefix.to_path_buf(),
            source,
        })?;
    // Only packages whose files carry the prefix need linking again: those
    // with prefix placeholders, and noarch python packages (their entry
    // points and compiled files are written at link time).
    let names: HashSet<PackageName> = installed
        .iter()
        .filter(|r| {
            r.paths_data.paths.iter().any(|p| {
                p.prefix_placeholder.is_some()
                    || matches!(
                        p.path_type,
                        PathType::PycFile
                            | PathType::UnixPythonEntryPoint
                            | PathType::WindowsPythonEntryPointScript
                            | PathType::WindowsPythonEntryPointExe
                    )
            })
        })
        .map(|r| r.name().clone())
        .collect();
    let records: Vec<RepoDataRecord> = installed
        .iter()
        .map(|r| r.repodata_record.clone())
        .collect();
    progress(format!(
        "conda: relinking {} of {} packages for {}",
        names.len(),
        records.len(),
        final_prefix.unwrap_or(prefix).display()
    ));
    if names.is_empty() {
        return Ok(());
    }
    let mut installer = Installer::new()
        .with_installed_packages(installed)
        .with_reinstall_packages(names);
    if let Some(final_prefix) = final_prefix {
        installer = installer.with_alternative_target_prefix(final_prefix);
    }
    run_installer(installer, prefix, records, settings, cache_dir, progress).await
}

async fn install_records(
    prefix: &Path,
    final_prefix: Option<&Path>,
    records: Vec<RepoDataRecord>,
    settings: &ChannelSettings,
    cache_dir: &Path,
    progress: Progress<'_>,
) -> Result<(), CondaError> {
    if let Some(final_prefix) = final_prefix {
        let installer = Installer::new().with_alternative_target_prefix(final_prefix);
        return run_installer(installer, prefix, records, settings, cache_dir, progress).await;
    }
    run_installer(
        Installer::new(),
        prefix,
        records,
        settings,
        cache_dir,
        progress,
    )
    .await
}

async fn run_installer(
    installer: Installer,
    prefix: &Path,
    records: Vec<RepoDataRecord>,
    settings: &ChannelSettings,
    cache_dir: &Path,
    progress: Progress<'_>,
) -> Result<(), CondaError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut installer = installer
        .with_download_client(settings.client()?)
        .with_package_cache(PackageCache::new(cache_dir.join("pkgs")))
        .with_reporter(LineReporter { tx });
    if let Some(n) = settings.threads {
        installer = installer.with_max_concurrent_requests(n);
    }
    let count = records.len();
    progress(format!(
        "conda: installing {count} packages into {}",
        prefix.display()
    ));
    let started = std::time::Instant::now();
    let install = installer.install(prefix, records);
    tokio::pin!(install);
    let result = loop {
        tokio::select! {
            result = &mut install => break result,
            Some(line) = rx.recv() => progress(line),
        }
    };
    while let Ok(line) = rx.try_recv() {
        progress(line);
    }
    result.map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        CondaError::Install {
            prefix: prefix.to_path_buf(),
            message,
        }
    })?;
    progress(format!(
        "conda: installed {count} packages in {:.3}s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Forwards the installer's per-package steps as log lines.
struct LineReporter {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl LineReporter {
    fn send(&self, line: String) {
        // The receiver lives until the install finishes; a closed channel
        // only means nobody listens any more.
        let _ = self.tx.send(line);
    }
}

impl Reporter for LineReporter {
    fn on_transaction_start(&self, transaction: &Transaction<PrefixRecord, RepoDataRecord>) {
        self.send(format!(
            "conda: {} operations to apply",
            transaction.operations.len()
        ));
    }
    fn on_transaction_operation_start(&self, _operation: usize) {}
    fn on_populate_cache_start(&self, operation: usize, record: &RepoDataRecord) -> usize {
        self.send(format!("conda: fetch {}", record.url));
        operation
    }
    fn on_validate_start(&self, cache_entry: usize) -> usize {
        cache_entry
    }
    fn on_validate_complete(&self, _validate_idx: usize) {}
    fn on_download_start(&self, cache_entry: usize) -> usize {
        cache_entry
    }
    fn on_download_progress(&self, _download_idx: usize, _progress: u64, _total: Option<u64>) {}
    fn on_download_completed(&self, _download_idx: usize) {}
    fn on_populate_cache_complete(&self, _cache_entry: usize) {}
    fn on_unlink_start(&self, operation: usize, record: &PrefixRecord) -> usize {
        self.send(format!(
            "conda: unlink {}",
            LockedPackage::from_record(&record.repodata_record).spec()
        ));
        operation
    }
    fn on_unlink_complete(&self, _index: usize) {}
    fn on_link_start(&self, operation: usize, record: &RepoDataRecord) -> usize {
        self.send(format!(
            "conda: link {}",
            LockedPackage::from_record(record).spec()
        ));
        operation
    }
    fn on_link_complete(&self, _index: usize) {}
    fn on_transaction_operation_complete(&self, _operation: usize) {}
    fn on_transaction_complete(&self) {}
    fn on_post_link_start(&self, package_name: &str, script_path: &str) -> usize {
        self.send(format!("conda: post-link {package_name}: {script_path}"));
        0
    }
    fn on_post_link_complete(&self, _index: usize, _success: bool) {}
    fn on_pre_unlink_start(&self, package_name: &str, script_path: &str) -> usize {
        self.send(format!("conda: pre-unlink {package_name}: {script_path}"));
        0
    }
    fn on_pre_unlink_complete(&self, _index: usize, _success: bool) {}
}
