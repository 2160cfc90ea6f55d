//! How charruad prints a configuration diagnostic.

/// A configuration diagnostic as charruad prints it: rendered with its line and caret, and for
/// a warning given `count` times in its file, how many.
pub(crate) fn diagnostic(
    d: &charrua_conf::Diagnostic,
    count: usize,
    sources: &charrua_conf::Sources,
) -> String {
    let rendered = d.render(sources);
    if count > 1 {
        format!(
            "{rendered}\n  (given {count} times in {})",
            sources.name(d.span.file)
        )
    } else {
        rendered
    }
}
