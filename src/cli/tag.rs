//! `swrt tag REF [TAGS...] [-r]`: list, add or remove a version's tags.
//!
//! A tag lives on one version; adding it elsewhere moves it. `latest` and
//! `vN` are the store's own. With the global `-q`, tag errors (an invalid
//! or absent tag) are skipped silently, like swcli's `tag --quiet`.

use clap::Args;
use serde::Serialize;

use crate::store::{StoreError, check_user_tag};

use super::Ctx;
use super::view;

#[derive(Debug, Args)]
pub struct TagArgs {
    /// NAME, NAME:TAG, NAME:VERSION-PREFIX or a Starwhale runtime URI.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Tags to add (or remove with -r); none lists the version's tags.
    #[arg(value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Remove the tags instead of adding them.
    #[arg(short = 'r', long)]
    pub remove: bool,
    /// Fail at once if another swrt holds the store lock.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Serialize)]
struct TagJson<'a> {
    name: &'a str,
    version: &'a str,
    tags: Vec<String>,
}

pub fn run(args: TagArgs, ctx: &Ctx) -> anyhow::Result<()> {
    let r = view::parse_ref(&args.reference)?;
    let quiet = ctx.global.quiet;
    if args.remove {
        let store = view::store(ctx).for_ref(&r);
        // Removing needs no version: a bare NAME removes the tags wherever
        // they are.
        let version = match &r.selector {
            Some(_) => Some(store.resolve(&r)?.version),
            None => None,
        };
        let index = store.tag_index(&r.name)?;
        let mut tags = Vec::new();
        for t in &args.tags {
            let known = index
                .version_of(t)
                .is_some_and(|v| version.as_deref().is_none_or(|want| want == v));
            if !quiet || known && !crate::store::is_builtin_tag(t) {
                tags.push(t.clone());
            }
        }
        let lock = view::lock(ctx, &store, args.no_wait)?;
        store.untag(&lock, &r.name, version.as_deref(), &tags)?;
        drop(lock);
        if ctx.global.json {
            let shown = version.unwrap_or_default();
            let tags = if shown.is_empty() {
                Vec::new()
            } else {
                store.tag_index(&r.name)?.tags_of(&shown)
            };
            return view::print_json(&TagJson {
                name: &r.name,
                version: &shown,
                tags,
            });
        }
        if !tags.is_empty() {
            ctx.out
                .info(&format!("removed tags {} from {}", tags.join(", "), r.name));
        }
        return Ok(());
    }
    let (store, resolved) = view::resolve(ctx, &r)?;
    if args.tags.is_empty() {
        let tags = store.tag_index(&resolved.name)?.tags_of(&resolved.version);
        if ctx.global.json {
            return view::print_json(&TagJson {
                name: &resolved.name,
                version: &resolved.version,
                tags,
            });
        }
        let mut out = std::io::stdout().lock();
        for t in tags {
            use std::io::Write;
            writeln!(out, "{t}")?;
        }
        return Ok(());
    }
    let mut tags = Vec::new();
    for t in &args.tags {
        match check_user_tag(t) {
            Ok(()) => tags.push(t.clone()),
            Err(StoreError::InvalidTag { .. }) if quiet => {}
            Err(e) => return Err(e.into()),
        }
    }
    let lock = view::lock(ctx, &store, args.no_wait)?;
    let now = store.tag(&lock, &resolved.name, &resolved.version, &tags)?;
    drop(lock);
    if ctx.global.json {
        return view::print_json(&TagJson {
            name: &resolved.name,
            version: &resolved.version,
            tags: now,
        });
    }
    if !tags.is_empty() {
        ctx.out.info(&format!(
            "tagged {} with {}",
            resolved.short(),
            tags.join(", ")
        ));
    }
    Ok(())
}
