//! The Kubernetes CEL libraries cel-rust does not have: upstream's list library
//! (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`), cel-go's sets
//! extension (`sets.contains`, `sets.equivalent`, `sets.intersects`) and upstream's
//! regex library (`find`, `findAll`).

use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::types::{DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Value;
use cel::{DeclarationError, Env, ExecutionError};

pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_member_overload("isSorted", "list_is_sorted", LIST_TYPE, vec![], is_sorted)?;
    env.add_member_overload("sum", "list_sum", LIST_TYPE, vec![], sum)?;
    env.add_member_overload("min", "list_min", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list_max", LIST_TYPE, vec![], max)?;
    env.add_member_overload(
        "indexOf",
        "list_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list_last_index_of",
        LIST_TYPE,
        vec![DYN_TYPE],
        last_index_of,
    )?;
    env.add_overload(
        "sets.contains",
        "list_sets_contains_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_contains,
    )?;
    env.add_overload(
        "sets.equivalent",
        "list_sets_equivalent_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_equivalent,
    )?;
    env.add_overload(
        "sets.intersects",
        "list_sets_intersects_list",
        vec![LIST_TYPE, LIST_TYPE],
        sets_intersects,
    )?;
    env.add_member_overload(
        "find",
        "string_find_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        find,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_all,
    )?;
    env.add_member_overload(
        "findAll",
        "string_find_all_string_int",
        STRING_TYPE,
        vec![STRING_TYPE, INT_TYPE],
        find_all_n,
    )?;
    Ok(())
}

type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

fn values(args: &Args<'_, '_>) -> Result<Vec<Value>, ExecutionError> {
    args.iter().map(|a| Value::try_from(a.as_ref())).collect()
}

fn list_of(v: &Value) -> Result<&[Value], ExecutionError> {
    match v {
        Value::List(l) => Ok(l.as_slice()),
        other => Err(ExecutionError::UnexpectedType {
            got: other.type_of().to_string(),
            want: "list".into(),
        }),
    }
}

fn out<'b, 'v>(v: Value) -> Out<'b, 'v> {
    let boxed: Box<dyn Val> = v.try_into()?;
    Ok(CowVal::Owned(boxed))
}

fn compare(name: &str, a: &Value, b: &Value) -> Result<Ordering, ExecutionError> {
    a.partial_cmp(b).ok_or_else(|| {
        ExecutionError::no_such_overload(
            name,
            vec![a.type_of().to_string(), b.type_of().to_string()],
        )
    })
}

fn is_sorted<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let vals = values(&args)?;
    let list = list_of(&vals[0])?;
    for w in list.windows(2) {
        if compare("isSorted", &w[0], &w[1])? == Ordering::Greater {
            return out(Value::Bool(false));
        }
    }
    out(Value::Bool(true))
}

fn sum<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let vals = values(&args)?;
    let list = list_of(&vals[0])?;
    let Some(first) = list.first() else {
        return out(Value::Int(0));
    };
    let mut total = first.clone();
    for v in &list[1..] {
        total = match (&total, v) {
            (Value::Int(a), Value::Int(b)) => Value::Int(
                a.checked_add(*b)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?,
            ),
            (Value::UInt(a), Value::UInt(b)) => Value::UInt(
                a.checked_add(*b)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?,
            ),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            (Value::Duration(a), Value::Duration(b)) => Value::Duration(*a + *b),
            (a, b) => {
                return Err(ExecutionError::no_such_overload(
                    "sum",
                    vec![a.type_of().to_string(), b.type_of().to_string()],
                ));
            }
        };
    }
    out(total)
}

fn extreme<'b, 'v>(args: Args<'b, 'v>, name: &str, want: Ordering) -> Out<'b, 'v> {
    let vals = values(&args)?;
    let list = list_of(&vals[0])?;
    let Some(mut best) = list.first() else {
        return Err(ExecutionError::function_error(
            name,
            format!("{name} called on empty list"),
        ));
    };
    for v in &list[1..] {
        if compare(name, v, best)? == want {
            best = v;
        }
    }
    out(best.clone())
}

fn min<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    extreme(args, "min", Ordering::Less)
}

fn max<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    extreme(args, "max", Ordering::Greater)
}

fn index_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let vals = values(&args)?;
    let list = list_of(&vals[0])?;
    let i = list.iter().position(|v| v == &vals[1]);
    out(Value::Int(i.map_or(-1, |i| i as i64)))
}

fn last_index_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let vals = values(&args)?;
    let list = list_of(&vals[0])?;
    let i = list.iter().rposition(|v| v == &vals[1]);
    out(Value::Int(i.map_or(-1, |i| i as i64)))
}

fn two_lists(args: &Args<'_, '_>) -> Result<(Vec<Value>, Vec<Value>), ExecutionError> {
    let vals = values(args)?;
    Ok((list_of(&vals[0])?.to_vec(), list_of(&vals[1])?.to_vec()))
}

fn sets_contains<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = two_lists(&args)?;
    out(Value::Bool(b.iter().all(|x| a.contains(x))))
}

fn sets_equivalent<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = two_lists(&args)?;
    out(Value::Bool(
        b.iter().all(|x| a.contains(x)) && a.iter().all(|x| b.contains(x)),
    ))
}

fn sets_intersects<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (a, b) = two_lists(&args)?;
    out(Value::Bool(b.iter().any(|x| a.contains(x))))
}

fn regex_args(name: &str, args: &Args<'_, '_>) -> Result<(String, regex::Regex), ExecutionError> {
    let vals = values(args)?;
    let (Value::String(s), Value::String(re)) = (&vals[0], &vals[1]) else {
        return Err(ExecutionError::no_such_overload(name, vec![]));
    };
    let re = regex::Regex::new(re).map_err(|e| ExecutionError::function_error(name, e))?;
    Ok((s.to_string(), re))
}

fn find<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let (s, re) = regex_args("find", &args)?;
    let found = re.find(&s).map_or("", |m| m.as_str()).to_string();
    out(Value::String(Arc::new(found)))
}

fn find_all_up_to<'b, 'v>(args: Args<'b, 'v>, limit: Option<usize>) -> Out<'b, 'v> {
    let (s, re) = regex_args("findAll", &args)?;
    let found: Vec<Value> = re
        .find_iter(&s)
        .take(limit.unwrap_or(usize::MAX))
        .map(|m| Value::String(Arc::new(m.as_str().to_string())))
        .collect();
    out(Value::List(Arc::new(found)))
}

fn find_all<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    find_all_up_to(args, None)
}

fn find_all_n<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let n = match Value::try_from(args[2].as_ref())? {
        Value::Int(n) => n,
        _ => -1,
    };
    // a negative limit means every match, as Go's FindAllString
    let limit = usize::try_from(n).ok();
    find_all_up_to(args[..2].to_vec(), limit)
}
