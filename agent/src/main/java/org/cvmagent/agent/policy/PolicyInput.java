package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import org.cvmagent.proto.agent.CopyFileRequest;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A request as kata-agent hands it to its policy engine: {@code serde_json} of the rust-protobuf
 * message. Policies written for kata (genpolicy's rules.rego) read exactly these names, so the
 * shape must match byte for byte:
 * <ul>
 *   <li>field names as written in the .proto file (no lowerCamel), Rust keywords suffixed with
 *       {@code _} ({@code type} → {@code type_}), as rust-protobuf names struct fields;</li>
 *   <li>every field present, proto3 defaults included; an unset message field is {@code null};</li>
 *   <li>enums and all integers (64-bit too) as JSON numbers; {@code bytes} as an array of numbers
 *       (serde's {@code Vec<u8>});</li>
 *   <li>maps as objects; repeated fields as arrays;</li>
 *   <li>a {@code oneof} as one field named like the oneof, {@code null} when unset, otherwise
 *       {@code {"<member>": value}} (serde's externally tagged enum); a proto3 {@code optional}
 *       field as the bare value or {@code null}.</li>
 * </ul>
 * {@link #fromJson} is the inverse, for tools and tests that start from kata's logged inputs.
 */
public final class PolicyInput {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * One shared node per byte value: a {@code bytes} field is an array of numbers, and a node of
     * its own per byte would cost some twenty bytes of heap per byte of the request (a 4 MiB
     * WriteStdin, some 80 MiB); shared, an element is one reference. The nodes are immutable.
     */
    private static final IntNode[] BYTE_NODES = new IntNode[256];

    static {
        for (int i = 0; i < BYTE_NODES.length; i++) {
            BYTE_NODES[i] = IntNode.valueOf(i);
        }
    }

    /** Rust's strict and reserved keywords: rust-protobuf appends {@code _} to field names among them. */
    private static final Set<String> RUST_KEYWORDS = Set.of(
            "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
            "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
            "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
            "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
            "override", "priv", "typeof", "unsized", "virtual", "yield", "try");

    private PolicyInput() {
    }

    /**
     * The policy input for a request about to be evaluated: {@link #toJson} but for
     * CopyFileRequest, which kata pre-processes (see {@link CopyFileInput}).
     *
     * @throws IllegalArgumentException when kata would refuse the request before asking the
     *                                  policy (a symlink target that is not UTF-8)
     */
    public static JsonNode forPolicy(Message request, CopyFileInput.Shape copyFileShape) {
        if (request instanceof CopyFileRequest copyFile) {
            return CopyFileInput.toJson(copyFile, copyFileShape);
        }
        return toJson(request);
    }

    /** The message as rust-protobuf's serde writes it. */
    public static ObjectNode toJson(Message message) {
        ObjectNode object = NODES.objectNode();
        Set<OneofDescriptor> written = new HashSet<>();
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null) {
                if (written.add(oneof)) {
                    object.set(rustName(oneof.getName()), oneofValue(message, oneof));
                }
                continue;
            }
            object.set(rustName(field.getName()), fieldValue(message, field));
        }
        return object;
    }

    /**
     * Fills {@code builder} from kata's JSON shape; strict, so that a name this class would not
     * write is an error rather than silently dropped.
     *
     * @throws IllegalArgumentException on an unknown field or a value of the wrong type
     */
    public static <B extends Message.Builder> B fromJson(JsonNode json, B builder) {
        if (!json.isObject()) {
            throw new IllegalArgumentException(builder.getDescriptorForType().getName() + ": expected an object, got " + json);
        }
        Map<String, FieldDescriptor> fields = new HashMap<>();
        Map<String, OneofDescriptor> oneofs = new HashMap<>();
        for (FieldDescriptor field : builder.getDescriptorForType().getFields()) {
            OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null) {
                oneofs.put(rustName(oneof.getName()), oneof);
            } else {
                fields.put(rustName(field.getName()), field);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            JsonNode value = entry.getValue();
            if (fields.containsKey(name)) {
                setField(builder, fields.get(name), value);
            } else if (oneofs.containsKey(name)) {
                setOneof(builder, oneofs.get(name), value);
            } else {
                throw new IllegalArgumentException(builder.getDescriptorForType().getName()
                        + " has no field " + name);
            }
        }
        return builder;
    }

    static String rustName(String protoName) {
        return RUST_KEYWORDS.contains(protoName) ? protoName + "_" : protoName;
    }

    private static JsonNode oneofValue(Message message, OneofDescriptor oneof) {
        FieldDescriptor set = message.getOneofFieldDescriptor(oneof);
        if (set == null) {
            return NODES.nullNode();
        }
        ObjectNode tagged = NODES.objectNode();
        tagged.set(rustName(set.getName()), single(set, message.getField(set)));
        return tagged;
    }

    private static JsonNode fieldValue(Message message, FieldDescriptor field) {
        if (field.isMapField()) {
            ObjectNode map = NODES.objectNode();
            FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
            for (Object item : (List<?>) message.getField(field)) {
                Message entry = (Message) item;
                Object key = entry.getField(entry.getDescriptorForType().findFieldByName("key"));
                map.set(String.valueOf(key), single(valueField, entry.getField(valueField)));
            }
            return map;
        }
        if (field.isRepeated()) {
            ArrayNode array = NODES.arrayNode();
            for (Object item : (List<?>) message.getField(field)) {
                array.add(single(field, item));
            }
            return array;
        }
        if (field.hasPresence() && !message.hasField(field)) {
            // rust-protobuf: MessageField / Option — serde writes None as null
            return NODES.nullNode();
        }
        return single(field, message.getField(field));
    }

    private static JsonNode single(FieldDescriptor field, Object value) {
        return switch (field.getJavaType()) {
            case INT -> field.getType() == FieldDescriptor.Type.UINT32 || field.getType() == FieldDescriptor.Type.FIXED32
                    ? integer(Integer.toUnsignedLong((Integer) value))
                    : integer((Integer) value);
            case LONG -> (field.getType() == FieldDescriptor.Type.UINT64 || field.getType() == FieldDescriptor.Type.FIXED64)
                    && (Long) value < 0
                    ? NODES.numberNode(new BigInteger(Long.toUnsignedString((Long) value)))
                    : integer((Long) value);
            case FLOAT -> NODES.numberNode((Float) value);
            case DOUBLE -> NODES.numberNode((Double) value);
            case BOOLEAN -> NODES.booleanNode((Boolean) value);
            case STRING -> NODES.textNode((String) value);
            case BYTE_STRING -> bytes((ByteString) value);
            case ENUM -> NODES.numberNode(((com.google.protobuf.Descriptors.EnumValueDescriptor) value).getNumber());
            case MESSAGE -> toJson((Message) value);
        };
    }

    /**
     * The node Jackson itself reads for this number (int when it fits, else long), so inputs
     * built here equal the same JSON parsed from text.
     */
    static JsonNode integer(long value) {
        return value == (int) value ? NODES.numberNode((int) value) : NODES.numberNode(value);
    }

    private static JsonNode bytes(ByteString value) {
        ArrayNode array = NODES.arrayNode(value.size());
        for (int i = 0; i < value.size(); i++) {
            array.add(BYTE_NODES[value.byteAt(i) & 0xff]);
        }
        return array;
    }

    private static void setOneof(Message.Builder builder, OneofDescriptor oneof, JsonNode value) {
        if (value.isNull()) {
            return;
        }
        if (!value.isObject() || value.size() != 1) {
            throw new IllegalArgumentException(oneof.getName() + ": a oneof is null or {\"member\": value}, got " + value);
        }
        Map.Entry<String, JsonNode> member = value.fields().next();
        for (FieldDescriptor field : oneof.getFields()) {
            if (rustName(field.getName()).equals(member.getKey())) {
                builder.setField(field, parseSingle(builder, field, member.getValue()));
                return;
            }
        }
        throw new IllegalArgumentException(oneof.getName() + " has no member " + member.getKey());
    }

    private static void setField(Message.Builder builder, FieldDescriptor field, JsonNode value) {
        if (value.isNull()) {
            if (field.isRepeated() || !field.hasPresence()) {
                throw new IllegalArgumentException(field.getFullName() + " cannot be null");
            }
            return;
        }
        if (field.isMapField()) {
            if (!value.isObject()) {
                throw new IllegalArgumentException(field.getFullName() + ": expected an object");
            }
            FieldDescriptor keyField = field.getMessageType().findFieldByName("key");
            FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                Message.Builder entryBuilder = builder.newBuilderForField(field);
                entryBuilder.setField(keyField, parseKey(keyField, entry.getKey()));
                entryBuilder.setField(valueField, parseSingle(entryBuilder, valueField, entry.getValue()));
                builder.addRepeatedField(field, entryBuilder.build());
            }
            return;
        }
        if (field.isRepeated()) {
            if (!value.isArray()) {
                throw new IllegalArgumentException(field.getFullName() + ": expected an array");
            }
            for (JsonNode item : value) {
                builder.addRepeatedField(field, parseSingle(builder, field, item));
            }
            return;
        }
        builder.setField(field, parseSingle(builder, field, value));
    }

    private static Object parseKey(FieldDescriptor keyField, String key) {
        return switch (keyField.getJavaType()) {
            case STRING -> key;
            case INT -> Integer.parseInt(key);
            case LONG -> Long.parseLong(key);
            case BOOLEAN -> Boolean.parseBoolean(key);
            default -> throw new IllegalArgumentException(keyField.getFullName() + ": unsupported map key type");
        };
    }

    private static Object parseSingle(Message.Builder builder, FieldDescriptor field, JsonNode value) {
        String where = field.getFullName();
        return switch (field.getJavaType()) {
            case INT -> {
                requireIntegral(where, value);
                // uint32 above 2^31 arrive as their unsigned value; Java keeps the bits in an int
                yield (int) value.longValue();
            }
            case LONG -> {
                requireIntegral(where, value);
                yield value.bigIntegerValue().longValue();
            }
            case FLOAT -> (float) requireNumber(where, value).doubleValue();
            case DOUBLE -> requireNumber(where, value).doubleValue();
            case BOOLEAN -> {
                if (!value.isBoolean()) {
                    throw new IllegalArgumentException(where + ": expected a boolean, got " + value);
                }
                yield value.booleanValue();
            }
            case STRING -> {
                if (!value.isTextual()) {
                    throw new IllegalArgumentException(where + ": expected a string, got " + value);
                }
                yield value.textValue();
            }
            case BYTE_STRING -> parseBytes(where, value);
            case ENUM -> {
                requireIntegral(where, value);
                EnumDescriptor type = field.getEnumType();
                yield type.findValueByNumberCreatingIfUnknown(value.intValue());
            }
            case MESSAGE -> fromJson(value, builder.newBuilderForField(field)).build();
        };
    }

    private static ByteString parseBytes(String where, JsonNode value) {
        if (!value.isArray()) {
            throw new IllegalArgumentException(where + ": bytes are an array of numbers, got " + value);
        }
        byte[] bytes = new byte[value.size()];
        for (int i = 0; i < bytes.length; i++) {
            JsonNode b = value.get(i);
            if (!b.canConvertToInt() || !b.isIntegralNumber() || b.intValue() < 0 || b.intValue() > 255) {
                throw new IllegalArgumentException(where + ": not a byte: " + b);
            }
            bytes[i] = (byte) b.intValue();
        }
        return ByteString.copyFrom(bytes);
    }

    private static JsonNode requireNumber(String where, JsonNode value) {
        if (!value.isNumber()) {
            throw new IllegalArgumentException(where + ": expected a number, got " + value);
        }
        return value;
    }

    private static void requireIntegral(String where, JsonNode value) {
        if (!value.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": expected an integer, got " + value);
        }
    }

}
