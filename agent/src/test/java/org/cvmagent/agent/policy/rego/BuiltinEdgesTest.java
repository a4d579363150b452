package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Edges of the builtins that genpolicy's rules.rego calls on host-supplied values, answered as
 * regorus answers them (its source: strings.rs, conversions.rs, encoding.rs, glob.rs). "undefined"
 * is an error in non-strict evaluation, which the gate treats as a denial.
 */
class BuiltinEdgesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            # to_number: serde_json reads the string as a JSON document that must be a number
            to_number("42")                   | 42
            to_number(" 1\\n")                | 1
            to_number("1.5E3")                | 1500
            to_number("-0")                   | 0
            to_number("+1")                   | undefined
            to_number(".5")                   | undefined
            to_number("5.")                   | undefined
            to_number("01")                   | undefined
            to_number("0x10")                 | undefined
            to_number("1_000")                | undefined
            to_number("NaN")                  | undefined
            to_number("Infinity")             | undefined
            to_number("1e400")                | undefined
            to_number("")                     | undefined
            to_number("\\u0663")              | undefined
            to_number("\\uff11")              | undefined
            to_number("1\\u00a0")             | undefined
            to_number(null)                   | 0
            to_number(true)                   | 1
            # split: "" splits into code points, with no empty ends (regorus issue 291)
            split("abc", "")                  | ["a","b","c"]
            split("a\\ud83d\\ude00", "")      | ["a","😀"]
            split("", "")                     | []
            split("", ",")                    | [""]
            split("a,b,", ",")                | ["a","b",""]
            split("10.0.0.1\\n", ".")         | ["10","0","0","1\\n"]
            # replace: Rust's str::replace; "" inserts at every code point boundary
            replace("abc", "", "-")           | "-a-b-c-"
            replace("a\\ud83d\\ude00", "", "-") | "-a-😀-"
            replace("aaa", "a", "$1")         | "$1$1$1"
            replace("$(a)$(a)", "$(a)", "x")  | "xx"
            strings.replace_n({"ab": "1", "a": "2"}, "abab") | "2b2b"
            strings.replace_n({"a": "b", "": "x"}, "aac")    | "xbxbxcx"
            # concat, contains, startswith, endswith: plain string operations
            concat(",", [])                   | ""
            concat(",", {"b", "a"})           | "a,b"
            contains("abc", "")               | true
            startswith("abc", "")             | true
            endswith("abc", "")               | true
            endswith("a.conf\\n", ".conf")    | false
            # trim*: cutsets of code points; trim_space is Unicode White_Space
            trim_left("abcba", "ab")          | "cba"
            trim_right("abcba", "ab")         | "abc"
            trim_right("x\\ud83d\\ude00", "\\ud83d\\ude00") | "x"
            trim("  a  ", " ")                | "a"
            trim_space(" \\u00a0a\\u2028\\u0085 ") | "a"
            trim_space("\\u001ca")            | "\\u001ca"
            # base64: data_encoding's canonical decoders (padding required, zero trailing bits)
            base64.decode("YWJj")             | "abc"
            base64.decode("YQ==")             | "a"
            base64.decode("")                 | ""
            base64.decode("YWJ")              | undefined
            base64.decode("YQ")               | undefined
            base64.decode("YR==")             | undefined
            base64.decode("YWJj\\n")          | undefined
            base64.decode("YW Jj")            | undefined
            base64.decode("/w==")             | "\\ufffd"
            base64.is_valid("YWJj")           | true
            base64.is_valid("")               | true
            base64.is_valid("YQ")             | false
            base64.is_valid("YR==")           | false
            base64.is_valid("YWJj\\n")        | false
            base64url.encode("\\u00ff?")      | "w78_"
            base64url.decode("YQ")            | "a"
            base64url.decode("YQ==")          | "a"
            base64url.decode("YR")            | undefined
            base64url.decode("YQ=")           | undefined
            # json.marshal: serde_json, keys sorted, no HTML escaping (OPA's Go would write \\u003c)
            json.marshal({"b": 1, "a": "<&>"}) | "{\\"a\\":\\"<&>\\",\\"b\\":1}"
            # glob.match: null = no delimiters, [] = ["."]
            glob.match("*.github.com", [], "api.github.com")       | true
            glob.match("*.github.com", [], "api.cdn.github.com")   | false
            glob.match("*.github.com", null, "api.cdn.github.com") | true
            glob.match("a/**", ["/"], "a/b/c")                     | true
            glob.match("a/*", ["/"], "a/b/c")                      | false
            glob.match("a?c", [], "a.c")                           | false
            glob.match("*", [], "a\\nb")                           | true
            glob.match("*", [":"], "a:b")                          | true
            glob.match("*", [""], "a.b")                           | false
            glob.match("*", ["ab"], "a")                           | undefined
            glob.match("*", ["\\u00e9"], "a")                     | undefined
            glob.match("*", [], "a\\u0000")                       | undefined
            # object.keys, count: sorted keys; count of a string is its code points
            object.keys({"b": 1, "a": 2})     | ["a","b"]
            count("\\u00e9\\ud83d\\ude00")    | 2
            """)
    void answersAsRegorus(String expr, String want) throws Exception {
        RegoPolicy p = RegoPolicy.compile(List.of("package t\nx := " + expr + "\n"));
        String got;
        try {
            got = p.query("data.t.x", JSON.readTree("{}"), JSON.createObjectNode()).value().map(Object::toString)
                    .orElse("undefined");
        } catch (RegoException e) {
            got = "undefined";
        }
        assertEquals(want.equals("undefined") ? want : JSON.readTree(want).toString(), got);
    }
}
