//! `charrua man --out DIR` (hidden): the man pages the Debian package installs. charrua(1)
//! and one page per subcommand (charrua-decode(1), charrua-leases-import(1), ...), written by
//! clap_mangen from the definitions the command parses with, and charruad-dhcpd.conf(5),
//! what charruad reads of dhcpd.conf, written from `docs/dhcpd-conf.md`. charruad(8) is
//! `charruad --man`, from charruad's own flag table.

mod markdown;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

/// The arguments of `charrua man`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory to write the pages into; created if missing.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// A page that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub(crate) struct Error {
    /// The page, or the directory.
    path: PathBuf,
    /// Why.
    source: std::io::Error,
}

/// What charruad reads of dhcpd.conf and dhcpd.leases.
const CONF_DOC: &str = include_str!("../../../docs/dhcpd-conf.md");

/// Writes every page into `args.out` and prints each one's path.
pub(crate) fn run(args: &Args, out: &mut dyn Write) -> bool {
    match write_pages(&args.out) {
        Ok(pages) => {
            for page in pages {
                let _ = writeln!(out, "{}", page.display());
            }
            true
        }
        Err(e) => {
            eprintln!("charrua man: {e}");
            false
        }
    }
}

/// Writes the pages into `dir`; returns their paths.
fn write_pages(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    // As clap_mangen::generate_to: subcommands named `charrua-leases-import`, no `help` one.
    let mut command = crate::Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        pending.extend(
            command
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .cloned(),
        );
        let man = clap_mangen::Man::new(command);
        let path = dir.join(man.get_filename());
        man.generate_to(dir).map_err(failed(&path))?;
        pages.push(path);
    }
    let path = dir.join("charruad-dhcpd.conf.5");
    std::fs::write(&path, conf_page()).map_err(failed(&path))?;
    pages.push(path);
    Ok(pages)
}

/// charruad-dhcpd.conf(5).
fn conf_page() -> String {
    let source = format!("charrua {}", env!("CARGO_PKG_VERSION"));
    let title = markdown::Title {
        name: "charruad-dhcpd.conf",
        section: "5",
        summary: "what charruad reads of ISC dhcpd.conf and dhcpd.leases",
        source: &source,
        manual: "File Formats Manual",
    };
    markdown::render(&title, CONF_DOC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_page_per_visible_command_and_the_conf_page() {
        let dir = tempfile::tempdir().unwrap();
        let pages = write_pages(dir.path()).unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for name in [
            "charrua.1",
            "charrua-decode.1",
            "charrua-leases-import.1",
            "charruad-dhcpd.conf.5",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        assert!(
            !names
                .iter()
                .any(|n| n.contains("man") || n.contains("help")),
            "{names:?}"
        );
        let conf = std::fs::read_to_string(dir.path().join("charruad-dhcpd.conf.5")).unwrap();
        assert!(conf.contains(".SH\ndhcpd.leases\n"));
    }
}
