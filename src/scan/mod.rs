//! Running a scan: inputs → sources → (Dockerfiles → build contexts → checks) and (images →
//! config and layers) → one sorted [`Report`]. This is the only module that knows about threads:
//! independent sources are read, parsed and checked on rayon's pool, each shared build context is
//! listed once, and an image's layers are decompressed and scanned in parallel. Because the
//! report is sorted at the end, `-j1` and `-jN` print the same bytes.

mod digest;
mod image;
mod inputs;
mod progress;
mod stream;
mod windows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::attribution::Origin;
use crate::dockerfile::Dockerfile;
use crate::dockerfile::checks::{self, Checked, Inputs};
use crate::dockerfile::context::Context;
use crate::dockerfile::instruction::{Args, Kind};
use crate::error::ScanError;
use crate::image::layout::Platform;
use crate::layer::Limits;
use crate::report::{ImageStats, Report, Suppressed};
use crate::rules::RuleSet;

pub use image::MAX_FINDINGS_PER_INPUT;
pub use inputs::{Input, MAX_DOCKERFILE_BYTES, Source, audit as audit_inputs};
pub use progress::Progress;

/// Where the build context comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContextChoice {
    /// The Dockerfile's own directory (none for stdin).
    #[default]
    Auto,
    /// This directory, for every Dockerfile.
    Dir(PathBuf),
    /// No context checks.
    Off,
}

/// What to scan and how.
#[derive(Clone, Default)]
pub struct Options {
    /// Build context selection.
    pub context: ContextChoice,
    /// The stage being built (`--target`); default the last.
    pub target: Option<String>,
    /// Worker threads; `None` lets rayon choose (one per core).
    pub threads: Option<usize>,
    /// Only this platform of multi-platform images.
    pub platform: Option<Platform>,
    /// Caps per image layer.
    pub limits: Limits,
    /// Told how many image bytes were read, from any thread.
    pub progress: Option<std::sync::Arc<dyn Progress>>,
    /// Keep findings in package-owned files with the others (default: kept apart).
    pub include_vendor: bool,
    /// The Dockerfile the images were built from: image findings are attributed to its
    /// instructions (`scan --dockerfile`). It is scanned only if also given as an input.
    pub dockerfile: Option<PathBuf>,
    /// Do not check layer blobs against their digests and diff IDs (`--no-digest-check`): a
    /// corrupt or altered blob is then scanned as it is, without an error. Hashing is a third of
    /// the work on an uncompressed archive.
    pub skip_digest_check: bool,
    /// A tar that holds no image export (`docker export`, a rootfs) is scanned as a filesystem,
    /// one layer; otherwise (the registry audit) it is an error.
    pub filesystem_tars: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("context", &self.context)
            .field("target", &self.target)
            .field("threads", &self.threads)
            .field("platform", &self.platform)
            .field("limits", &self.limits)
            .field("dockerfile", &self.dockerfile)
            .field("skip_digest_check", &self.skip_digest_check)
            .field("filesystem_tars", &self.filesystem_tars)
            .finish_non_exhaustive()
    }
}

/// Scans every input and returns the sorted, unredacted report.
pub fn scan(inputs: Vec<Input>, rules: &RuleSet, options: &Options) -> Report {
    let started = unix_now();
    let run = || scan_on_pool(inputs, rules, options);
    let mut report = match options.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        },
        None => run(),
    };
    report.timing = Some((started, unix_now()));
    report
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn scan_on_pool(inputs: Vec<Input>, rules: &RuleSet, options: &Options) -> Report {
    let mut report = Report::default();
    let (sources, errors) = inputs::expand(inputs);
    report.errors.extend(errors);
    let (images, dockerfiles): (Vec<Source>, Vec<Source>) =
        sources.into_iter().partition(|s| s.image.is_some());
    let origin_file = options.dockerfile.as_ref().map(|path| {
        let source = inputs::file_source(path.clone());
        (source.name.clone(), source.read())
    });
    let parsed_origin = match &origin_file {
        Some((name, Ok(bytes))) => Some((name.as_str(), Dockerfile::from_bytes(bytes))),
        Some((_, Err(e))) => {
            report.errors.push(e.clone());
            None
        }
        None => None,
    };
    let image_options = image::ImageOptions {
        platform: options.platform.as_ref(),
        limits: options.limits,
        progress: options.progress.as_deref(),
        origin: parsed_origin.as_ref().map(|(path, dockerfile)| Origin {
            path,
            dockerfile,
            target: options.target.as_deref(),
        }),
        alone: images.len() == 1,
        skip_digest_check: options.skip_digest_check,
        filesystem_tars: options.filesystem_tars,
    };
    // even one image is scanned on the pool: its layers' work waits there by yielding to the
    // pool's queue, which only a thread of the pool can do
    let image_outcomes: Vec<(image::ImageOutcome, f64)> = match images.is_empty() {
        true => Vec::new(),
        false => images
            .par_iter()
            .filter_map(|s| {
                let started = std::time::Instant::now();
                let outcome = image::scan(&s.name, s.image.as_ref()?, rules, image_options);
                Some((outcome, started.elapsed().as_secs_f64()))
            })
            .collect(),
    };
    report.sources += images.len();
    for ((outcome, seconds), source) in image_outcomes.into_iter().zip(&images) {
        report.images.push(ImageStats {
            source: source.name.clone(),
            images: outcome.images,
            layers: outcome.layers,
            bytes: outcome.bytes,
            seconds,
        });
        report.findings.extend(outcome.findings);
        report.errors.extend(outcome.errors);
    }
    scan_dockerfiles(dockerfiles, rules, options, &mut report);
    if !options.include_vendor {
        report.separate_vendor();
    }
    report.sort();
    report
}

fn scan_dockerfiles(
    dockerfiles: Vec<Source>,
    rules: &RuleSet,
    options: &Options,
    report: &mut Report,
) {
    let parsed: Vec<(Source, Result<Dockerfile, ScanError>)> = map_each(dockerfiles, |source| {
        let parsed = source.read().map(|bytes| Dockerfile::from_bytes(&bytes));
        (source, parsed)
    });
    let context_dirs: Vec<Option<PathBuf>> = parsed
        .iter()
        .map(|(source, df)| {
            let df = df.as_ref().ok()?;
            needs_context(df).then(|| context_dir(source, &options.context))?
        })
        .collect();
    let contexts = load_contexts(&context_dirs, &parsed, rules);
    for (_, errors) in contexts.values() {
        report.errors.extend(errors.iter().cloned());
    }
    let outcomes: Vec<Result<Checked, ScanError>> = map_each(
        parsed.iter().zip(&context_dirs).collect(),
        |((source, df), dir)| {
            let df = df.as_ref().map_err(Clone::clone)?;
            let inputs = Inputs {
                source: &source.name,
                rules,
                context: dir.as_ref().and_then(|d| contexts.get(d)).map(|(c, _)| c),
                target: options.target.as_deref(),
            };
            Ok(checks::check(df, inputs))
        },
    );
    report.sources += outcomes.len();
    for outcome in outcomes {
        match outcome {
            Ok(checked) => {
                report.findings.extend(checked.findings);
                report.errors.extend(checked.errors);
                report.suppressed.extend(
                    checked
                        .suppressed
                        .into_iter()
                        .map(|(finding, reason)| Suppressed { finding, reason }),
                );
            }
            Err(error) => report.errors.push(error),
        }
    }
}

/// True when some `COPY`/`ADD` reads from the build context.
fn needs_context(df: &Dockerfile) -> bool {
    df.instructions.iter().any(|i| {
        let inner = match &i.args {
            Args::Onbuild(inner) => inner,
            _ => i,
        };
        matches!(inner.kind, Kind::Copy | Kind::Add) && inner.flag_values("from").next().is_none()
    })
}

fn context_dir(source: &Source, choice: &ContextChoice) -> Option<PathBuf> {
    match choice {
        ContextChoice::Off => None,
        ContextChoice::Dir(dir) => Some(dir.clone()),
        ContextChoice::Auto => {
            let path = source.path.as_ref()?;
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            Some(parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf))
        }
    }
}

type Contexts<'r> = BTreeMap<PathBuf, (Context<'r>, Vec<ScanError>)>;

/// Lists each distinct context directory once, in parallel.
fn load_contexts<'r>(
    dirs: &[Option<PathBuf>],
    parsed: &[(Source, Result<Dockerfile, ScanError>)],
    rules: &'r RuleSet,
) -> Contexts<'r> {
    let mut wanted: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for (dir, (source, _)) in dirs.iter().zip(parsed) {
        if let Some(dir) = dir {
            wanted
                .entry(dir.clone())
                .or_insert_with(|| source.path.clone());
        }
    }
    let wanted: Vec<(PathBuf, Option<PathBuf>)> = wanted.into_iter().collect();
    let loaded = map_each(wanted, |(dir, dockerfile)| {
        let loaded = Context::load(&dir, dockerfile.as_deref(), rules);
        (dir, loaded)
    });
    loaded.into_iter().collect()
}

/// `f` over `items` on the pool, or on this thread when there is one item or none: a lone
/// Dockerfile in a pre-commit hook never starts the pool's threads (that took 0.6 ms of its
/// 10, measured by 300 alternated runs). `f` must not wait on the pool's queue.
fn map_each<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    if items.len() <= 1 {
        items.into_iter().map(f).collect()
    } else {
        items.into_par_iter().map(f).collect()
    }
}
