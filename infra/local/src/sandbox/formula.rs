//! The subset of Airtable's formula language that `filterByFormula` needs: field references
//! (`{Name}` or a bare name), strings, numbers, `= != <> < > <= >=`, `&`, `+ - * /`, and the
//! functions AND, OR, NOT, IF, FIND, SEARCH, LOWER, UPPER, LEN, TRIM, CONCATENATE, BLANK,
//! RECORD_ID, TRUE, FALSE, ISBLANK... enough for every filter the platform and common clients send.

use std::fmt;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Blank,
    Text(String),
    Num(f64),
    Bool(bool),
}

impl Val {
    /// Airtable's truthiness: blank, 0, "" and false are false.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Blank => false,
            Val::Text(s) => !s.is_empty(),
            Val::Num(n) => *n != 0.0,
            Val::Bool(b) => *b,
        }
    }

    fn text(&self) -> String {
        match self {
            Val::Blank => String::new(),
            Val::Text(s) => s.clone(),
            Val::Num(n) => fmt_num(*n),
            Val::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Val::Blank => Some(0.0),
            Val::Num(n) => Some(*n),
            Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Val::Text(s) => s.trim().parse().ok(),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Val::Blank) || matches!(self, Val::Text(s) if s.is_empty())
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A parse error, worded like Airtable's `INVALID_FILTER_BY_FORMULA` messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError(pub String);

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Field(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<Tok>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '{' => {
                let mut name = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '}' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    name.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(FormulaError("unterminated field reference".into()));
                }
                i += 1;
                out.push(Tok::Field(name));
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(FormulaError("unterminated string".into())),
                        Some('\\') => {
                            let next = chars
                                .get(i + 1)
                                .ok_or_else(|| FormulaError("unterminated string".into()))?;
                            s.push(match next {
                                'n' => '\n',
                                't' => '\t',
                                other => *other,
                            });
                            i += 2;
                        }
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            '0'..='9' | '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Tok::Num(
                    text.parse()
                        .map_err(|_| FormulaError(format!("invalid number {text}")))?,
                ));
            }
            '!' | '<' | '>' | '=' | '&' | '+' | '-' | '*' | '/' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = match two.as_str() {
                    "!=" => Some("!="),
                    "<>" => Some("!="),
                    "<=" => Some("<="),
                    ">=" => Some(">="),
                    _ => None,
                };
                if let Some(op) = op {
                    out.push(Tok::Op(op));
                    i += 2;
                } else {
                    out.push(Tok::Op(match c {
                        '<' => "<",
                        '>' => ">",
                        '=' => "=",
                        '&' => "&",
                        '+' => "+",
                        '-' => "-",
                        '*' => "*",
                        '/' => "/",
                        _ => return Err(FormulaError(format!("unexpected character {c}"))),
                    }));
                    i += 1;
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(FormulaError(format!("unexpected character {other}"))),
        }
    }
    Ok(out)
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Val),
    Field(String),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

const FUNCTIONS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "IF",
    "FIND",
    "SEARCH",
    "LOWER",
    "UPPER",
    "LEN",
    "TRIM",
    "CONCATENATE",
    "BLANK",
    "RECORD_ID",
    "TRUE",
    "FALSE",
    "ISBLANK",
    "IS_AFTER",
    "IS_BEFORE",
    "CREATED_TIME",
];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.concat()?;
        while let Some(Tok::Op(op @ ("=" | "!=" | "<" | ">" | "<=" | ">="))) = self.peek().cloned()
        {
            self.pos += 1;
            let right = self.concat()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn concat(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.additive()?;
        while let Some(Tok::Op("&")) = self.peek() {
            self.pos += 1;
            let right = self.additive()?;
            left = Expr::Binary("&", Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.term()?;
        while let Some(Tok::Op(op @ ("+" | "-"))) = self.peek().cloned() {
            self.pos += 1;
            let right = self.term()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        while let Some(Tok::Op(op @ ("*" | "/"))) = self.peek().cloned() {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if let Some(Tok::Op("-")) = self.peek() {
            self.pos += 1;
            return Ok(Expr::Unary("-", Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Lit(Val::Num(n))),
            Some(Tok::Str(s)) => Ok(Expr::Lit(Val::Text(s))),
            Some(Tok::Field(f)) => Ok(Expr::Field(f)),
            Some(Tok::LParen) => {
                let e = self.expr()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err(FormulaError("missing closing parenthesis".into())),
                }
            }
            Some(Tok::Ident(name)) => {
                if let Some(Tok::LParen) = self.peek() {
                    self.pos += 1;
                    let upper = name.to_uppercase();
                    if !FUNCTIONS.contains(&upper.as_str()) {
                        return Err(FormulaError(format!("Unknown function names: {name}")));
                    }
                    let mut args = Vec::new();
                    if let Some(Tok::RParen) = self.peek() {
                        self.pos += 1;
                    } else {
                        loop {
                            args.push(self.expr()?);
                            match self.next() {
                                Some(Tok::Comma) => continue,
                                Some(Tok::RParen) => break,
                                _ => {
                                    return Err(FormulaError(format!(
                                        "missing closing parenthesis in {name}("
                                    )))?;
                                }
                            }
                        }
                    }
                    check_arity(&upper, args.len())?;
                    Ok(Expr::Call(upper, args))
                } else {
                    Ok(Expr::Field(name))
                }
            }
            Some(t) => Err(FormulaError(format!("unexpected {t:?}"))),
            None => Err(FormulaError("unexpected end of formula".into())),
        }
    }
}

fn check_arity(name: &str, n: usize) -> Result<(), FormulaError> {
    let ok = match name {
        "BLANK" | "RECORD_ID" | "TRUE" | "FALSE" | "CREATED_TIME" => n == 0,
        "IS_AFTER" | "IS_BEFORE" => n == 2,
        "NOT" | "LOWER" | "UPPER" | "LEN" | "TRIM" | "ISBLANK" => n == 1,
        "FIND" | "SEARCH" => (2..=3).contains(&n),
        "IF" => (2..=3).contains(&n),
        _ => n >= 1,
    };
    if ok {
        Ok(())
    } else {
        Err(FormulaError(format!("wrong number of arguments to {name}")))
    }
}

/// Parses a formula.
pub fn parse(src: &str) -> Result<Expr, FormulaError> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Ok(Expr::Lit(Val::Bool(true)));
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(FormulaError(format!("unexpected {:?}", p.toks[p.pos])));
    }
    Ok(e)
}

impl Expr {
    /// Every field name the formula refers to.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Expr::Field(f) => out.push(f.clone()),
            Expr::Unary(_, e) => e.fields(out),
            Expr::Binary(_, a, b) => {
                a.fields(out);
                b.fields(out)
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.fields(out)),
            Expr::Lit(_) => {}
        }
    }

    /// Evaluates against one record: `field` gives a field's value by name.
    pub fn eval(&self, field: &dyn Fn(&str) -> Val, record: &Row<'_>) -> Val {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Field(f) => field(f),
            Expr::Unary(_, e) => Val::Num(-e.eval(field, record).num().unwrap_or(0.0)),
            Expr::Binary(op, a, b) => binary(op, a.eval(field, record), b.eval(field, record)),
            Expr::Call(name, args) => {
                let arg = |i: usize| {
                    args.get(i)
                        .map(|a| a.eval(field, record))
                        .unwrap_or(Val::Blank)
                };
                match name.as_str() {
                    "AND" => Val::Bool(args.iter().all(|a| a.eval(field, record).truthy())),
                    "OR" => Val::Bool(args.iter().any(|a| a.eval(field, record).truthy())),
                    "NOT" => Val::Bool(!arg(0).truthy()),
                    "IF" => {
                        if arg(0).truthy() {
                            arg(1)
                        } else {
                            arg(2)
                        }
                    }
                    "FIND" | "SEARCH" => {
                        let (mut needle, mut hay) = (arg(0).text(), arg(1).text());
                        if name == "SEARCH" {
                            needle = needle.to_lowercase();
                            hay = hay.to_lowercase();
                        }
                        let start = arg(2)
                            .num()
                            .map(|n| (n as usize).saturating_sub(1))
                            .unwrap_or(0);
                        let hay_chars: Vec<char> = hay.chars().collect();
                        let skipped: String = hay_chars.iter().skip(start).collect();
                        match skipped.find(&needle) {
                            Some(byte) => {
                                Val::Num((start + skipped[..byte].chars().count() + 1) as f64)
                            }
                            None if name == "SEARCH" => Val::Blank,
                            None => Val::Num(0.0),
                        }
                    }
                    "LOWER" => Val::Text(arg(0).text().to_lowercase()),
                    "UPPER" => Val::Text(arg(0).text().to_uppercase()),
                    "LEN" => Val::Num(arg(0).text().chars().count() as f64),
                    "TRIM" => Val::Text(arg(0).text().trim().to_owned()),
                    "CONCATENATE" => {
                        Val::Text(args.iter().map(|a| a.eval(field, record).text()).collect())
                    }
                    "BLANK" => Val::Blank,
                    "ISBLANK" => Val::Bool(arg(0).is_blank()),
                    "RECORD_ID" => Val::Text(record.id.to_owned()),
                    "CREATED_TIME" => Val::Text(record.created_time.to_owned()),
                    "IS_AFTER" | "IS_BEFORE" => match (instant(&arg(0)), instant(&arg(1))) {
                        (Some(a), Some(b)) => {
                            Val::Bool(if name == "IS_AFTER" { a > b } else { a < b })
                        }
                        _ => Val::Blank,
                    },
                    "TRUE" => Val::Bool(true),
                    "FALSE" => Val::Bool(false),
                    _ => Val::Blank,
                }
            }
        }
    }
}

fn binary(op: &str, a: Val, b: Val) -> Val {
    match op {
        "&" => Val::Text(a.text() + &b.text()),
        "+" | "-" | "*" | "/" => {
            let (x, y) = (a.num().unwrap_or(0.0), b.num().unwrap_or(0.0));
            match op {
                "+" => Val::Num(x + y),
                "-" => Val::Num(x - y),
                "*" => Val::Num(x * y),
                _ if y == 0.0 => Val::Blank,
                _ => Val::Num(x / y),
            }
        }
        _ => {
            let ord = compare(&a, &b);
            Val::Bool(match op {
                "=" => ord == Some(std::cmp::Ordering::Equal),
                "!=" => ord != Some(std::cmp::Ordering::Equal),
                "<" => ord == Some(std::cmp::Ordering::Less),
                ">" => ord == Some(std::cmp::Ordering::Greater),
                "<=" => matches!(
                    ord,
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                ),
                ">=" => matches!(
                    ord,
                    Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                ),
                _ => false,
            })
        }
    }
}

/// What a formula knows about its record besides the fields.
pub struct Row<'a> {
    pub id: &'a str,
    pub created_time: &'a str,
}

/// A date or date-time value as an instant (date-only values are midnight UTC).
fn instant(v: &Val) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = v.text();
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    // Blank equals blank, "" and 0 (Airtable treats an empty cell as all of them).
    if a.is_blank() && b.is_blank() {
        return Some(std::cmp::Ordering::Equal);
    }
    let numeric =
        matches!(a, Val::Num(_) | Val::Bool(_)) || matches!(b, Val::Num(_) | Val::Bool(_));
    if numeric && let (Some(x), Some(y)) = (a.num(), b.num()) {
        return x.partial_cmp(&y);
    }
    Some(a.text().cmp(&b.text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Val {
        let row = |name: &str| match name {
            "Name" => Val::Text("Ada Lovelace".into()),
            "Score" => Val::Num(42.0),
            "Active" => Val::Bool(true),
            "Empty" => Val::Blank,
            "Full Name" => Val::Text("A B".into()),
            _ => Val::Blank,
        };
        parse(src).unwrap().eval(
            &row,
            &Row {
                id: "rec123",
                created_time: "2026-11-28T10:00:00.000Z",
            },
        )
    }

    #[test]
    fn comparisons_and_logic() {
        assert!(eval("{Name} = 'Ada Lovelace'").truthy());
        assert!(eval("{Score} > 40").truthy());
        assert!(!eval("{Score} <= 41.5").truthy());
        assert!(eval("{Score} != 7").truthy());
        assert!(eval("{Score} <> 7").truthy());
        assert!(eval("AND({Active}, OR({Score} = 1, {Score} = 42))").truthy());
        assert!(eval("NOT({Empty})").truthy());
        assert!(eval("{Empty} = BLANK()").truthy());
        assert!(eval("{Empty} = ''").truthy());
        assert!(
            eval("Score >= 42").truthy(),
            "bare names are field references"
        );
    }

    #[test]
    fn dates_compare_as_instants() {
        assert!(eval("IS_AFTER(CREATED_TIME(), '2026-11-28T09:59:59Z')").truthy());
        assert!(!eval("IS_AFTER(CREATED_TIME(), '2026-11-28T10:00:00Z')").truthy());
        assert!(eval("IS_BEFORE(CREATED_TIME(), '2026-11-29')").truthy());
        assert!(eval("IS_AFTER('2026-11-28T11:00:00+01:00', '2026-11-28T09:59:00Z')").truthy());
        assert!(eval("IS_AFTER({Empty}, '2026-11-28')").is_blank());
    }

    #[test]
    fn text_functions() {
        assert_eq!(eval("FIND('Love', {Name})"), Val::Num(5.0));
        assert_eq!(eval("FIND('love', {Name})"), Val::Num(0.0));
        assert_eq!(eval("SEARCH('love', {Name})"), Val::Num(5.0));
        assert_eq!(
            eval("LOWER({Name}) & '!'"),
            Val::Text("ada lovelace!".into())
        );
        assert_eq!(eval("UPPER('x')"), Val::Text("X".into()));
        assert_eq!(eval("LEN({Full Name})"), Val::Num(3.0));
        assert_eq!(
            eval("IF({Score} > 100, 'big', 'small')"),
            Val::Text("small".into())
        );
        assert_eq!(eval("RECORD_ID()"), Val::Text("rec123".into()));
        assert_eq!(eval("CONCATENATE('a', 1, 'b')"), Val::Text("a1b".into()));
        assert_eq!(
            eval(r#""it\'s" & 'q\'s'"#),
            Val::Text("it's".to_owned() + "q's")
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(eval("{Score} * 2 - 4 / 2"), Val::Num(82.0));
        assert_eq!(eval("-{Score} + 2"), Val::Num(-40.0));
    }

    #[test]
    fn errors_are_reported() {
        for bad in [
            "{Name",
            "'open",
            "FOO(1)",
            "AND(1",
            "1 +",
            "NOT()",
            "{Name} = = 1",
            "#",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let mut fields = Vec::new();
        parse("AND({A}, B = 1, LEN({C d}))")
            .unwrap()
            .fields(&mut fields);
        assert_eq!(fields, ["A", "B", "C d"]);
    }
}
