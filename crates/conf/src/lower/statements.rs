//! Conditional statements (`if` chains, `switch` as one), the bodies charruad checks
//! (`on`/`define`), expressions with their options and classes checked, and the fail-closed
//! rule for restrictions inside what is not evaluated.

use charrua_server::config::{Expr, Params, Statement as Executed};

use super::decls::{Body, Scope};
use super::{conditions, executable, expr, server_options, Lowerer};
use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Span};
use crate::syntax::Statement;

/// A statement of a `switch` block: its label (see [`Lowerer::switch_branch`]) and the
/// statement after it.
pub(super) type SwitchItem = (Option<Option<expr::Expr>>, Statement);

impl Lowerer<'_> {
    /// One branch of an `if`/`elsif`/`else` chain, `settings` its lowered body: joined to the
    /// scope's statements (run per request), or, when its condition has no equivalent yet
    /// (`condition` is the reason), the whole chain is warned and left out.
    pub(super) fn conditional(
        &mut self,
        st: &Statement,
        keyword: &str,
        condition: Result<Option<Expr>, String>,
        settings: Params,
        body: &mut Body,
    ) {
        let chain = body.open_if;
        match (keyword, chain, condition) {
            ("if", _, Ok(condition)) => {
                body.params
                    .statements
                    .push(Executed::If(vec![(condition, settings)]));
                body.open_if = Some(true);
            }
            (_, Some(true), Ok(condition)) => {
                if let Some(Executed::If(branches)) = body.params.statements.last_mut() {
                    branches.push((condition, settings));
                }
            }
            (_, _, Err(why)) => {
                if chain == Some(true) {
                    body.params.statements.pop();
                }
                body.open_if = Some(false);
                self.warn(
                    st.span,
                    format!("'{keyword}' is not acted on: {why} is not evaluated yet; this if/elsif/else chain is ignored"),
                );
            }
            (_, _, Ok(_)) => self.warn(
                st.span,
                format!("'{keyword}' is not acted on: the 'if' it follows is not"),
            ),
        }
        if keyword == "else" {
            body.open_if = None;
        }
    }

    /// One statement of a `switch` block: `case VALUE: STATEMENT` and `default: STATEMENT`
    /// read as one statement by the syntax (the colon is a word), split here: its label
    /// (`Some(Some(VALUE))` for a case, `Some(None)` for `default`, `None` for a statement
    /// without one) and the statement after the colon (an empty one when there is none).
    pub(super) fn switch_branch(&self, st: &Statement) -> Result<SwitchItem, Diagnostic> {
        // The lexer keeps a colon in a word (`default:`, `5:`): split it off.
        let mut w: Vec<Token> = Vec::with_capacity(st.words.len() + 1);
        for t in &st.words {
            match t.text.strip_suffix(':') {
                Some(label)
                    if t.kind == TokenKind::Atom
                        && !label.is_empty()
                        && !w.iter().any(|x| x.is(":")) =>
                {
                    let mut head = t.clone();
                    head.text = label.to_string();
                    let mut colon = t.clone();
                    colon.text = ":".into();
                    w.extend([head, colon]);
                }
                _ => w.push(t.clone()),
            }
        }
        let colon = w.iter().position(|t| t.is(":"));
        let keyword = w
            .first()
            .map(|t| t.text.to_ascii_lowercase())
            .unwrap_or_default();
        let (label, after) = match (keyword.as_str(), colon) {
            ("case", Some(at)) => {
                let value =
                    expr::parse(w.get(1..at).unwrap_or_default(), st.span, expr::Kind::Any)?;
                (Some(Some(value)), at + 1)
            }
            ("default", Some(1)) => (Some(None), 2),
            ("case" | "default", _) => return Err(Diagnostic::error(st.span, "colon expected.")),
            _ => (None, 0),
        };
        let words: Vec<_> = w.get(after..).unwrap_or_default().to_vec();
        let span = words.first().map_or(st.span, |t| t.span);
        let statement = Statement {
            words,
            block: st.block.clone(),
            span,
            end: st.end,
        };
        Ok((label, statement))
    }

    /// A `switch` as an `if`/`elsif` chain (common/execute.c `switch_statement`): each `case`
    /// whose value equals the subject runs the statements from its label to the first `break`,
    /// over the labels between; `default` runs when no case matches. A subject or value not
    /// evaluated yet leaves the whole switch out, warned.
    pub(super) fn switch(
        &mut self,
        s: &Statement,
        subject: &expr::Expr,
        items: &[SwitchItem],
        scope: Scope,
        groups: &Params,
        body: &mut Body,
    ) {
        let said = self.diagnostics.len();
        let mut branches = Vec::new();
        let mut default = None;
        for (i, (label, _)) in items.iter().enumerate() {
            let Some(label) = label else {
                continue;
            };
            let run: Vec<Statement> = items
                .get(i..)
                .unwrap_or_default()
                .iter()
                .map(|(_, st)| st.clone())
                .take_while(|st| st.keyword() != "break")
                .filter(|st| !st.words.is_empty())
                .collect();
            // (Its statements were checked, and warned of, one by one above.)
            let settings = self.body(&run, scope, groups).params;
            match label {
                Some(value) => {
                    let equal = expr::Expr::Eq(Box::new(subject.clone()), Box::new(value.clone()));
                    match conditions::condition(&equal, &self.definitions) {
                        Ok(condition) => branches.push((Some(condition), settings)),
                        Err(why) => {
                            self.diagnostics.truncate(said);
                            self.warn(s.span, format!("'switch' is not acted on: {why} is not evaluated yet; the statements inside are ignored"));
                            return;
                        }
                    }
                }
                None => default = Some(settings),
            }
        }
        self.diagnostics.truncate(said);
        branches.extend(default.map(|settings| (None, settings)));
        if !branches.is_empty() {
            body.params.statements.push(Executed::If(branches));
        }
        body.open_if = None;
    }

    /// An expression of the kind `want`, whose options are ones dhcpd knows (common/parse.c
    /// parse_option_name: "no option named N in space dhcp").
    pub(super) fn expression(
        &self,
        tokens: &[Token],
        span: Span,
        want: expr::Kind,
    ) -> Result<expr::Expr, Diagnostic> {
        let e = expr::parse(tokens, span, want)?;
        let names = expr::option_names(&e);
        let classes = expr::checked_classes(&e);
        // ("default" is dhcpd's own collection.)
        if classes
            .iter()
            .any(|c| c != "default" && !self.decls.classes.iter().any(|d| d.name == *c))
        {
            return Err(Diagnostic::error(span, "unknown collection."));
        }
        if let Some(unknown) = names.iter().find(|n| !self.definitions.known(n)) {
            return Err(Diagnostic::error(
                span,
                match unknown.split_once('.') {
                    None => format!("no option named {unknown} in space dhcp"),
                    Some(_) => format!("unknown option {unknown}"),
                },
            ));
        }
        Ok(e)
    }

    /// The value of `NAME = EXPRESSION;` for an option or parameter: a data expression, where
    /// a number stands for one octet in hex (common/parse.c parse_cshl: `600` exceeds it).
    pub(super) fn data_expression(
        &self,
        tokens: &[Token],
        span: Span,
    ) -> Result<expr::Expr, Diagnostic> {
        if let [t] = tokens {
            if t.kind == TokenKind::Atom
                && t.text.chars().all(|c| c.is_ascii_digit())
                && u8::from_str_radix(&t.text, 16).is_err()
            {
                return Err(Diagnostic::error(
                    t.span,
                    format!("{} exceeds max (255) for precision.", t.text),
                ));
            }
        }
        self.expression(tokens, span, expr::Kind::Data)
    }

    /// A statement in an `on` or `define` body: executable statements and parameters only
    /// (common/parse.c parse_executable_statements); checked, not kept.
    pub(super) fn executable_body(
        &mut self,
        st: &Statement,
        groups: &Params,
    ) -> Result<(), Diagnostic> {
        let keyword = st.keyword();
        let executable = executable::KEYWORDS.contains(&keyword.as_str())
            || matches!(
                keyword.as_str(),
                "if" | "elsif" | "else" | "switch" | "add" | "break"
            )
            || keyword == "option"
            || server_options::kind(&keyword).is_some();
        if !executable {
            return Err(Diagnostic::error(st.span, "right brace expected."));
        }
        // (Read as in a group: not the top of the file, where some statements run at once.)
        let mut scratch = Body::default();
        if !self.parameter(st, Scope::Group, &mut scratch.params)? {
            self.declaration(st, Scope::Group, groups, &mut scratch)?;
        }
        Ok(())
    }
}

/// Whether `st` restricts who is answered or given an address (`deny`/`ignore` of booting,
/// BOOTP or unknown clients, their flag forms set false): leaving such a statement out would
/// serve clients the operator shut out.
pub(super) fn restricts_access(st: &Statement) -> bool {
    let w = &st.words;
    let keyword = st.keyword();
    let subject = |t: Option<&Token>| {
        t.is_some_and(|t| t.is("booting") || t.is("bootp") || t.is("unknown-clients"))
    };
    let off = |t: Option<&Token>| t.is_some_and(|t| t.is("false") || t.is("off") || t.is("ignore"));
    match keyword.as_str() {
        "deny" | "ignore" => subject(w.get(1)),
        "allow-booting" | "allow-bootp" | "boot-unknown-clients" => off(w.get(1)),
        _ => st.block.iter().flatten().any(restricts_access),
    }
}

/// Fail closed: charruad does not act on restrictions of access inside conditional statements
/// yet (only on the settings they make), so one there is refused rather than ignored.
pub(super) fn refuse_restrictions_in(block: &[Statement], keyword: &str) -> Result<(), Diagnostic> {
    match block.iter().find(|st| restricts_access(st)) {
        Some(st) => Err(Diagnostic::error(
            st.span,
            format!("this restricts who is served inside '{keyword}': charruad does not act on restrictions in conditional statements yet, so the configuration is refused rather than serve clients it shuts out"),
        )),
        None => Ok(()),
    }
}
