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
        b.add("base64.decode", 1, (a, bu) -> Value.str(decode("base64.decode", Base64.getDecoder(),
                Args.str("base64.decode", a, 0))));
        b.add("base64.is_valid", 1, (a, bu) -> {
            try {
                String text = Args.str("base64.is_valid", a, 0);
                // Go's standard encoding insists on padding, which Java's decoder does not
                if (text.length() % 4 != 0 || !base64Alphabet(text)) {
                    return Value.FALSE;
                }
                Base64.getDecoder().decode(text);
                return Value.TRUE;
            } catch (IllegalArgumentException e) {
                // not base64 is the answer here, not an error
                return Value.FALSE;
            }
        });
        b.add("base64url.encode", 1, (a, bu) -> Value.str(Base64.getUrlEncoder()
                .encodeToString(bytes("base64url.encode", a))));
        b.add("base64url.encode_no_pad", 1, (a, bu) -> Value.str(Base64.getUrlEncoder().withoutPadding()
                .encodeToString(bytes("base64url.encode_no_pad", a))));
        b.add("base64url.decode", 1, (a, bu) -> Value.str(decode("base64url.decode", Base64.getUrlDecoder(),
                Args.str("base64url.decode", a, 0))));
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
    private static boolean base64Alphabet(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
                    || c == '=')) {
                return false;
            }
        }
        return true;
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
