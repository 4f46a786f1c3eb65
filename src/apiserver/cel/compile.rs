//! Compiling one rule: the size and nesting guards, parsing (on a thread with a
//! large stack: the ANTLR parser recurses deeply, most of all in debug builds), and a
//! static check of what the parser accepts but upstream's type checker rejects:
//! undeclared identifiers and functions, fields the schema does not have, and rules
//! that cannot evaluate to a bool. Messages are shaped as cel-go's issues.

use cel::common::ast::{EntryExpr, Expr, IdedEntryExpr, IdedExpr, LiteralValue};
use cel::{Env, Program};

use super::schema::Ty;

/// cel-go's default limit on an expression's size, in code points.
pub const MAX_RULE_LEN: usize = 100_000;
/// How deeply brackets may nest in a rule.
pub const MAX_NESTING: usize = 32;
/// How deep a parsed expression may be (evaluation recurses once per level).
pub const MAX_AST_DEPTH: usize = 100;
/// The stack compilation and evaluation run on.
pub const STACK_SIZE: usize = 256 << 20;

/// One problem found in an expression: where (a char offset) and what.
#[derive(Debug, Clone)]
pub struct Issue {
    pub at: Option<usize>,
    pub msg: String,
}

/// The issues in cel-go's display form: `ERROR: <input>:1:6: msg`, the line and a
/// caret under the column.
pub fn render(source: &str, issues: &[Issue]) -> String {
    let mut out = Vec::new();
    for issue in issues {
        let Some(at) = issue.at else {
            out.push(format!("ERROR: <input>:-1:0: {}", issue.msg));
            continue;
        };
        let (mut line, mut col, mut start) = (1, 0, 0);
        for (i, (b, c)) in source.char_indices().enumerate() {
            if i == at {
                break;
            }
            if c == '\n' {
                line += 1;
                col = 0;
                start = b + 1;
            } else {
                col += 1;
            }
        }
        let text = source[start..].lines().next().unwrap_or("");
        out.push(format!(
            "ERROR: <input>:{line}:{}: {}\n | {text}\n | {}^",
            col + 1,
            issue.msg,
            ".".repeat(col)
        ));
    }
    out.join("\n")
}

/// What the checker needs to know of a rule's variables.
pub struct Scope<'s> {
    pub self_ty: Ty<'s>,
    /// `oldSelf` is an optional (`optionalOldSelf: true`).
    pub optional_old_self: bool,
}

/// A compiled expression and the static type of its result.
pub struct Checked<'s> {
    pub program: Program,
    pub ty: Ty<'s>,
    pub uses_old_self: bool,
}

/// Parses and checks `source`; `Err` is the issues, rendered.
pub fn compile<'s>(env: &Env, source: &str, scope: &Scope<'s>) -> Result<Checked<'s>, String> {
    let len = source.chars().count();
    if len > MAX_RULE_LEN {
        return Err(render(
            source,
            &[Issue {
                at: None,
                msg: format!(
                    "expression code point size exceeds limit: size: {len}, limit {MAX_RULE_LEN}"
                ),
            }],
        ));
    }
    if let Some(at) = too_nested(source) {
        return Err(render(
            source,
            &[Issue {
                at: Some(at),
                msg: "max recursion depth exceeded".into(),
            }],
        ));
    }
    let program = env.compile(source).map_err(|errs| {
        let issues: Vec<Issue> = errs
            .errors
            .iter()
            .map(|e| Issue {
                at: char_offset(source, e.pos),
                msg: clean_parse_message(&e.msg),
            })
            .collect();
        render(source, &issues)
    })?;
    if depth(program.expression()) > MAX_AST_DEPTH {
        return Err(render(
            source,
            &[Issue {
                at: Some(0),
                msg: "max recursion depth exceeded".into(),
            }],
        ));
    }
    let mut checker = Checker {
        program: &program,
        scope,
        vars: Vec::new(),
        issues: Vec::new(),
        uses_old_self: false,
    };
    let ty = checker.check(program.expression());
    if !checker.issues.is_empty() {
        return Err(render(source, &checker.issues));
    }
    let uses_old_self = checker.uses_old_self;
    Ok(Checked {
        program,
        ty,
        uses_old_self,
    })
}

/// Runs `f` on a thread with [`STACK_SIZE`] of stack, borrowing what it needs.
pub fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("cel".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(s, f)
            .expect("spawning a CEL thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The char offset where brackets first nest deeper than [`MAX_NESTING`], outside
/// string literals.
fn too_nested(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in source.chars().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The depth of an expression, found without recursion.
fn depth(root: &IdedExpr) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_AST_DEPTH {
            break;
        }
        stack.extend(children(e).into_iter().map(|c| (c, d + 1)));
    }
    max
}

fn children(e: &IdedExpr) -> Vec<&IdedExpr> {
    match &e.expr {
        Expr::Call(call) => call
            .target
            .as_deref()
            .into_iter()
            .chain(&call.args)
            .collect(),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Expr::List(l) => l.elements.iter().collect(),
        Expr::Map(m) => entry_children(&m.entries),
        Expr::Select(s) => vec![&*s.operand],
        Expr::Struct(s) => entry_children(&s.entries),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => vec![],
    }
}

/// The expressions inside a map's or a message's entries.
fn entry_children(entries: &[IdedEntryExpr]) -> Vec<&IdedExpr> {
    entries
        .iter()
        .flat_map(|entry| match &entry.expr {
            EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
            EntryExpr::StructField(f) => vec![&f.value],
        })
        .collect()
}

/// cel-rust's parse positions are 1-based lines and 1-based columns.
fn char_offset(source: &str, (line, col): (isize, isize)) -> Option<usize> {
    if line < 1 || col < 1 {
        return None;
    }
    let mut offset = 0;
    for (n, l) in source.split_inclusive('\n').enumerate() {
        if n + 1 == line as usize {
            return Some(offset + (col as usize - 1).min(l.chars().count()));
        }
        offset += l.chars().count();
    }
    Some(offset)
}

/// A nested parse error's own words rather than its debug dump.
fn clean_parse_message(msg: &str) -> String {
    if let Some(start) = msg.find("msg: \"") {
        let rest = &msg[start + 6..];
        if let Some(end) = rest.find('"') {
            return rest[..end].to_string();
        }
    }
    msg.to_string()
}

/// Names that stand for types (`type(x) == int`).
const TYPE_NAMES: [&str; 13] = [
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "duration",
    "timestamp",
];

struct Checker<'a, 's> {
    program: &'a Program,
    scope: &'a Scope<'s>,
    vars: Vec<(String, Ty<'s>)>,
    issues: Vec<Issue>,
    uses_old_self: bool,
}

impl<'s> Checker<'_, 's> {
    fn issue(&mut self, e: &IdedExpr, msg: String) {
        let at = self
            .program
            .source_info()
            .offset_for(e.id)
            .map(|(start, _)| start as usize);
        self.issues.push(Issue { at, msg });
    }

    fn undeclared(&mut self, e: &IdedExpr, name: &str) -> Ty<'s> {
        self.issue(
            e,
            format!("undeclared reference to '{name}' (in container '')"),
        );
        Ty::Dyn
    }

    fn check(&mut self, e: &IdedExpr) -> Ty<'s> {
        match &e.expr {
            Expr::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::UInt(_) => Ty::Uint,
            },
            Expr::Ident(name) => self.ident(e, name),
            Expr::List(l) => {
                let tys: Vec<Ty> = l.elements.iter().map(|x| self.check(x)).collect();
                match tys.first() {
                    Some(t) if tys.iter().all(|x| x == t) => Ty::List(Box::new(t.clone())),
                    _ => Ty::List(Box::new(Ty::Dyn)),
                }
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        self.check(&me.key);
                        self.check(&me.value);
                    }
                }
                Ty::Map(Box::new(Ty::Dyn))
            }
            Expr::Struct(s) => self.undeclared(e, &s.type_name.clone()),
            Expr::Select(s) => {
                let operand = self.check(&s.operand);
                if s.test {
                    self.field(e, &operand, &s.field);
                    return Ty::Bool;
                }
                self.field(e, &operand, &s.field)
            }
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range);
                let elem = match range {
                    Ty::List(t) => *t,
                    Ty::Map(_) => Ty::String,
                    Ty::Object(..) => Ty::String,
                    _ => Ty::Dyn,
                };
                let accu = self.check(&c.accu_init);
                let base = self.vars.len();
                self.vars.push((c.iter_var.clone(), elem.clone()));
                if let Some(v2) = &c.iter_var2 {
                    self.vars.push((v2.clone(), Ty::Dyn));
                }
                self.vars.push((c.accu_var.clone(), accu.clone()));
                self.check(&c.loop_cond);
                let step = self.check(&c.loop_step);
                // the accumulator's type is what the step makes it
                if let Some(slot) = self.vars.last_mut()
                    && accu != step
                {
                    slot.1 = if matches!(accu, Ty::List(_)) && matches!(step, Ty::List(_)) {
                        step
                    } else {
                        Ty::Dyn
                    };
                }
                let result = self.check(&c.result);
                self.vars.truncate(base);
                result
            }
            Expr::Call(call) => self.call(e, call),
            Expr::Unspecified => Ty::Dyn,
        }
    }

    fn ident(&mut self, e: &IdedExpr, name: &str) -> Ty<'s> {
        if let Some((_, t)) = self.vars.iter().rev().find(|(n, _)| n == name) {
            return t.clone();
        }
        match name {
            "self" => self.scope.self_ty.clone(),
            "oldSelf" => {
                self.uses_old_self = true;
                if self.scope.optional_old_self {
                    Ty::Optional(Box::new(self.scope.self_ty.clone()))
                } else {
                    self.scope.self_ty.clone()
                }
            }
            n if TYPE_NAMES.contains(&n) => Ty::Dyn,
            n => self.undeclared(e, n),
        }
    }

    fn field(&mut self, e: &IdedExpr, operand: &Ty<'s>, name: &str) -> Ty<'s> {
        match operand {
            Ty::Object(..) | Ty::Map(_) => match operand.field(name) {
                Some(t) => t,
                None => {
                    self.issue(e, format!("undefined field '{name}'"));
                    Ty::Dyn
                }
            },
            Ty::Dyn => Ty::Dyn,
            other => {
                self.issue(
                    e,
                    format!("type '{}' does not support field selection", other.name()),
                );
                Ty::Dyn
            }
        }
    }

    /// The qualified name a call's target spells (`optional.none`, `sets.contains`),
    /// when its root is not a variable.
    fn qualified(&self, target: &IdedExpr) -> Option<String> {
        match &target.expr {
            Expr::Ident(n)
                if n != "self" && n != "oldSelf" && !self.vars.iter().any(|(v, _)| v == n) =>
            {
                Some(n.clone())
            }
            Expr::Select(s) if !s.test => self
                .qualified(&s.operand)
                .map(|q| format!("{q}.{}", s.field)),
            _ => None,
        }
    }

    fn call(&mut self, e: &IdedExpr, call: &cel::common::ast::CallExpr) -> Ty<'s> {
        let name = call.func_name.as_str();
        if let Some(t) = &call.target
            && let Some(q) = self.qualified(t)
        {
            let full = format!("{q}.{name}");
            let tys: Vec<Ty> = call.args.iter().map(|a| self.check(a)).collect();
            return match global(&full, &tys) {
                Some(t) => t,
                None => self.undeclared(e, &full),
            };
        }
        let target = call.target.as_ref().map(|t| self.check(t));
        let args: Vec<Ty> = call.args.iter().map(|a| self.check(a)).collect();
        let found = match &target {
            Some(t) => member(name, t, &args),
            None => operator(name, &args).or_else(|| global(name, &args)),
        };
        match found {
            Some(t) => t,
            None => self.undeclared(e, name),
        }
    }
}

fn same_or_dyn<'s>(tys: &[Ty<'s>]) -> Ty<'s> {
    match tys.first() {
        Some(t) if tys.iter().all(|x| x == t) => t.clone(),
        _ => Ty::Dyn,
    }
}

fn operator<'s>(name: &str, args: &[Ty<'s>]) -> Option<Ty<'s>> {
    Some(match name {
        "_&&_"
        | "_||_"
        | "!_"
        | "_==_"
        | "_!=_"
        | "_<_"
        | "_<=_"
        | "_>_"
        | "_>=_"
        | "@in"
        | "@not_strictly_false" => Ty::Bool,
        "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => same_or_dyn(args),
        "-_" => args.first().cloned().unwrap_or(Ty::Dyn),
        "_?_:_" => same_or_dyn(args.get(1..).unwrap_or(&[])),
        "_[_]" => match args.first() {
            Some(Ty::List(t)) => (**t).clone(),
            Some(Ty::Map(v)) => (**v).clone(),
            _ => Ty::Dyn,
        },
        "_[?_]" | "_?._" => Ty::Optional(Box::new(Ty::Dyn)),
        _ => return None,
    })
}

/// Global functions upstream's environment has and kelp implements.
fn global<'s>(name: &str, args: &[Ty<'s>]) -> Option<Ty<'s>> {
    Some(match name {
        "size" | "int" => Ty::Int,
        "uint" => Ty::Uint,
        "double" => Ty::Double,
        "string" | "strings.quote" => Ty::String,
        "bytes" => Ty::Bytes,
        "bool" | "matches" | "sets.contains" | "sets.equivalent" | "sets.intersects" => Ty::Bool,
        "dyn" => args.first().cloned().unwrap_or(Ty::Dyn),
        "type" | "duration" | "timestamp" => Ty::Dyn,
        "optional.of" | "optional.ofNonZeroValue" => {
            Ty::Optional(Box::new(args.first().cloned().unwrap_or(Ty::Dyn)))
        }
        "optional.none" => Ty::Optional(Box::new(Ty::Dyn)),
        _ => return None,
    })
}

/// Member functions upstream's environment has and kelp implements.
fn member<'s>(name: &str, target: &Ty<'s>, _args: &[Ty<'s>]) -> Option<Ty<'s>> {
    let elem = match target {
        Ty::List(t) => (**t).clone(),
        _ => Ty::Dyn,
    };
    Some(match name {
        "size" | "indexOf" | "lastIndexOf" => Ty::Int,
        "matches" | "startsWith" | "endsWith" | "contains" | "isSorted" | "hasValue" => Ty::Bool,
        "charAt" | "lowerAscii" | "upperAscii" | "trim" | "replace" | "substring" | "format"
        | "join" | "find" => Ty::String,
        "split" | "findAll" => Ty::List(Box::new(Ty::String)),
        "sum" | "min" | "max" => elem,
        "value" => match target {
            Ty::Optional(t) => (**t).clone(),
            _ => Ty::Dyn,
        },
        "orValue" => Ty::Dyn,
        "or" => Ty::Optional(Box::new(Ty::Dyn)),
        "getDate" | "getDayOfMonth" | "getDayOfWeek" | "getDayOfYear" | "getFullYear"
        | "getHours" | "getMilliseconds" | "getMinutes" | "getMonth" | "getSeconds" => Ty::Int,
        _ => return None,
    })
}
