package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/** JSON, base64 and hex encodings. */
final class EncodingBuiltins {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private EncodingBuiltins() {
    }

    static void register(Builtins b) {
        b.add("json.marshal", 1, (a, bu) -> Value.str(Values.toJsonText(a.get(0))));
        b.add("json.unmarshal", 1, (a, bu) -> {
            try {
                return Values.fromJson(JSON.readTree(Args.str("json.unmarshal", a, 0)));
            } catch (JsonProcessingException e) {
                throw new BuiltinError("eval_builtin_error: json.unmarshal: " + e.getOriginalMessage(), e);
            }
        });
        b.add("json.is_valid", 1, (a, bu) -> {
            if (!(a.get(0) instanceof Value.Str s)) {
                return Value.FALSE;
            }
            try {
                JSON.readTree(s.value());
                return Value.TRUE;
            } catch (JsonProcessingException e) {
                // invalid JSON is the answer here, not an error
                return Value.FALSE;
            }
        });
        b.add("base64.encode", 1, (a, bu) -> Value.str(Base64.getEncoder().encodeToString(bytes("base64.encode", a))));
        // regorus decodes with data_encoding's BASE64 / BASE64URL(_NOPAD): canonical input only,
        // padding as the variant says and unused trailing bits zero ("YR==" is no base64, Java's
        // decoder and Go's StdEncoding take it; "YWJ" neither, Java's decoder takes it)
        b.add("base64.decode", 1, (a, bu) -> {
            String text = Args.str("base64.decode", a, 0);
            if (!canonicalBase64(text, false, true)) {
                throw new BuiltinError("eval_builtin_error: base64.decode: decode failed");
            }
            return Value.str(decode("base64.decode", Base64.getDecoder(), text));
        });
        b.add("base64.is_valid", 1, (a, bu) -> Value.bool(canonicalBase64(Args.str("base64.is_valid", a, 0),
                false, true)));
        b.add("base64url.encode", 1, (a, bu) -> Value.str(Base64.getUrlEncoder()
                .encodeToString(bytes("base64url.encode", a))));
        b.add("base64url.encode_no_pad", 1, (a, bu) -> Value.str(Base64.getUrlEncoder().withoutPadding()
                .encodeToString(bytes("base64url.encode_no_pad", a))));
        b.add("base64url.decode", 1, (a, bu) -> {
            String text = Args.str("base64url.decode", a, 0);
            if (!canonicalBase64(text, true, true) && !canonicalBase64(text, true, false)) {
                throw new BuiltinError("eval_builtin_error: base64url.decode: not a valid url");
            }
            return Value.str(decode("base64url.decode", Base64.getUrlDecoder(), text));
        });
        b.add("hex.encode", 1, (a, bu) -> Value.str(HexFormat.of().formatHex(bytes("hex.encode", a))));
        b.add("hex.decode", 1, (a, bu) -> {
            try {
                return Value.str(new String(HexFormat.of().parseHex(Args.str("hex.decode", a, 0)),
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new BuiltinError("eval_builtin_error: hex.decode: invalid hex", e);
            }
        });
    }

    /** Whether every character is one the standard decoder accepts; it throws (slowly) on any other. */
    /** Canonical base64: the alphabet, the padding the variant asks for, zero unused bits. */
    static boolean canonicalBase64(String text, boolean url, boolean padded) {
        int n = text.length();
        int pad = 0;
        if (padded) {
            if (n % 4 != 0) {
                return false;
            }
            while (pad < 2 && pad < n && text.charAt(n - 1 - pad) == '=') {
                pad++;
            }
        } else if (n % 4 == 1) {
            return false;
        }
        int body = n - pad;
        int last = 0;
        for (int i = 0; i < body; i++) {
            int v = sextet(text.charAt(i), url);
            if (v < 0) {
                return false;
            }
            last = v;
        }
        int tail = padded ? (pad == 0 ? 0 : 4 - pad) : body % 4;
        if (tail == 2) {
            return (last & 0xF) == 0;
        }
        if (tail == 3) {
            return (last & 0x3) == 0;
        }
        return true;
    }

    private static int sextet(char c, boolean url) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        if (c == (url ? '-' : '+')) {
            return 62;
        }
        if (c == (url ? '_' : '/')) {
            return 63;
        }
        return -1;
    }

    private static byte[] bytes(String fn, java.util.List<Value> a) throws RegoException {
        return Args.str(fn, a, 0).getBytes(StandardCharsets.UTF_8);
    }

    private static String decode(String fn, Base64.Decoder d, String s) throws RegoException {
        try {
            return new String(d.decode(s), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": " + e.getMessage(), e);
        }
    }
}
