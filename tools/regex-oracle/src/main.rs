use std::io::{self, BufRead, Write};
fn unhex(s: &str) -> String {
    let b: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
    String::from_utf8(b).unwrap()
}
fn hex(s: &str) -> String { s.bytes().map(|b| format!("{:02x}", b)).collect() }
fn main() {
    // regorus's limit is 100 KiB; RX_LIMIT overrides it (see gen.py: regex 1.7's compiler is larger)
    let limit: usize = std::env::var("RX_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(100 * 1024);
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout());
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let f: Vec<&str> = line.split('\t').collect();
        let op = f[0];
        let pat = unhex(f[1]);
        let re = regex::RegexBuilder::new(&pat).size_limit(limit).build();
        let re = match re { Ok(r) => r, Err(e) => { writeln!(out, "error\t{}", hex(&format!("{}", e).lines().last().unwrap_or(""))).unwrap(); continue; } };
        let res = match op {
            "valid" => "true".to_string(),
            "match" => format!("{}", re.is_match(&unhex(f[2]))),
            "split" => { let v: Vec<String> = re.split(&unhex(f[2])).map(hex).collect(); format!("{}:{}", v.len(), v.join(",")) }
            "find" => { let v: Vec<String> = re.find_iter(&unhex(f[2])).map(|m| hex(m.as_str())).collect(); format!("{}:{}", v.len(), v.join(",")) }
            "submatch" => { let v: Vec<String> = re.captures_iter(&unhex(f[2])).map(|c| c.iter().map(|g| g.map(|m| hex(m.as_str())).unwrap_or_default()).collect::<Vec<_>>().join(";")).collect(); format!("{}:{}", v.len(), v.join(",")) }
            "replace" => hex(&re.replace_all(&unhex(f[2]), unhex(f[3]).as_str())),
            _ => panic!("op"),
        };
        writeln!(out, "ok\t{}", res).unwrap();
    }
}
