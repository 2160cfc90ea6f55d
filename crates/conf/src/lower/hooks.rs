//! `on commit|release|expiry { ... }` lowered to the statements charruad runs when a lease is
//! acknowledged, released or runs out (common/execute.c; server/confpars.c parses them with
//! common/parse.c `parse_on_statement`): `set`, `log`, `execute` and `if`/`elsif`/`else`
//! chains of them. A statement of another kind, or one using an expression not evaluated yet,
//! is warned and left out of the block; the rest of the block runs.

use charrua_server::config::{Action, LogPriority, Params};

use super::executable;
use super::{conditions, expr, Lowerer};
use crate::lexer::TokenKind;
use crate::source::Diagnostic;
use crate::syntax::Statement;

impl Lowerer<'_> {
    /// An `on` statement (already checked as dhcpd checks it): its body set for each event it
    /// names in `params`, replacing what an outer scope set for that event, as dhcpd's lease
    /// keeps the last `on` statement run for each event.
    pub(super) fn on_statement(&mut self, s: &Statement, params: &mut Params) {
        let actions = self.actions(s.block.as_deref().unwrap_or_default(), &s.words);
        for event in s.words.iter().skip(1).step_by(2) {
            let slot = if event.is("commit") {
                &mut params.on_commit
            } else if event.is("release") {
                &mut params.on_release
            } else if event.is("expiry") {
                &mut params.on_expiry
            } else {
                self.warn(
                    event.span,
                    format!(
                        "'on {}' is a DHCPv6 event: charruad serves DHCPv4, nothing runs on it",
                        event.text
                    ),
                );
                continue;
            };
            *slot = Some(actions.clone());
        }
    }

    /// The statements of an `on` body, or of a branch in one.
    fn actions(&mut self, block: &[Statement], on: &[crate::lexer::Token]) -> Vec<Action> {
        let events: Vec<&str> = on.iter().map(|t| t.text.as_str()).collect();
        let head = events.join(" ");
        let mut out = Vec::new();
        // Whether the last action is an `if` chain an `elsif` or `else` may extend.
        let mut open_if = false;
        for st in block {
            // `else if` is `elsif` (common/parse.c `parse_if_statement`).
            let keyword = match st.keyword() {
                k if k == "else" && st.words.get(1).is_some_and(|t| t.is("if")) => "elsif".into(),
                k => k,
            };
            match self.action(st, &keyword, on) {
                Ok(Some(Action::If(mut branches))) if keyword != "if" => {
                    match out.last_mut() {
                        Some(Action::If(chain)) if open_if => chain.append(&mut branches),
                        _ => self.warn(
                            st.span,
                            format!("'{keyword}' in '{head}' does not run: the 'if' it follows does not"),
                        ),
                    }
                    open_if = keyword == "elsif";
                }
                Ok(Some(action)) => {
                    open_if = matches!(action, Action::If(_));
                    out.push(action);
                }
                Ok(None) => {
                    open_if = false;
                    self.warn(
                        st.span,
                        format!("'{keyword}' in '{head}' is not implemented yet: it does not run"),
                    );
                }
                Err(why) => {
                    // A chain with a branch left out is left out whole.
                    if open_if && keyword != "if" {
                        out.pop();
                    }
                    open_if = false;
                    self.warn(
                        st.span,
                        format!("'{keyword}' in '{head}' does not run: {why} is not evaluated yet"),
                    );
                }
            }
        }
        out
    }

    /// One statement of an `on` body (or a `log` or `execute` of a scope): `Ok(None)` for a
    /// kind charruad does not run, `Err` with what is not evaluated for one whose expression it
    /// cannot evaluate.
    pub(super) fn action(
        &mut self,
        st: &Statement,
        keyword: &str,
        on: &[crate::lexer::Token],
    ) -> Result<Option<Action>, String> {
        let w = &st.words;
        let parse =
            |tokens, kind| expr::parse(tokens, st.span, kind).map_err(|d: Diagnostic| d.message);
        Ok(Some(match keyword {
            "set" => {
                let name = w.get(1).map(|t| t.text.clone()).unwrap_or_default();
                let value = parse(w.get(3..).unwrap_or_default(), expr::Kind::Any)?;
                Action::Set(name, conditions::lower(&value, &self.definitions)?)
            }
            "log" => {
                let args =
                    executable::arguments(w.get(1..).unwrap_or_default()).unwrap_or_default();
                let (priority, message) = match args.as_slice() {
                    [level, message] => (priority(level), *message),
                    [message] => (LogPriority::Info, *message),
                    _ => return Ok(None),
                };
                let message = parse(message, expr::Kind::Data)?;
                Action::Log(priority, conditions::data(&message, &self.definitions)?)
            }
            "execute" => {
                let args =
                    executable::arguments(w.get(1..).unwrap_or_default()).unwrap_or_default();
                let Some(([program], rest)) = args.split_first() else {
                    return Ok(None);
                };
                if program.kind != TokenKind::String {
                    return Ok(None);
                }
                let program = String::from_utf8_lossy(&program.bytes).into_owned();
                let args = rest
                    .iter()
                    .map(|a| conditions::data(&parse(a, expr::Kind::Data)?, &self.definitions))
                    .collect::<Result<Vec<_>, String>>()?;
                Action::Execute(program, args)
            }
            "if" | "elsif" | "else" => {
                let skip = if w.first().is_some_and(|t| t.is("else")) && keyword == "elsif" {
                    2
                } else {
                    1
                };
                let condition = if keyword == "else" {
                    None
                } else {
                    let parsed = parse(w.get(skip..).unwrap_or_default(), expr::Kind::Boolean)?;
                    Some(conditions::condition(&parsed, &self.definitions)?)
                };
                let body = self.actions(st.block.as_deref().unwrap_or_default(), on);
                Action::If(vec![(condition, body)])
            }
            // A DDNS setting: it holds for the registration that follows `on commit`.
            k if super::ddns::PARAMETERS.contains(&k) => {
                let mut params = Params::default();
                self.ddns_parameter(st, &mut params)
                    .map_err(|d| d.message)?;
                if params == Params::default() {
                    return Err("its value".into());
                }
                Action::Settings(Box::new(params))
            }
            _ => return Ok(None),
        }))
    }
}

/// A `log` priority word (common/parse.c: `fatal`, `error`, `info`, `debug`).
fn priority(words: &[crate::lexer::Token]) -> LogPriority {
    match words.first() {
        Some(t) if t.is("fatal") => LogPriority::Fatal,
        Some(t) if t.is("error") => LogPriority::Error,
        Some(t) if t.is("debug") => LogPriority::Debug,
        _ => LogPriority::Info,
    }
}
