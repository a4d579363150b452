package org.cvmagent.agent.policy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;

import java.util.HashSet;
import java.util.Set;

/**
 * An upper estimate of the heap a request's {@link PolicyInput} takes while it is evaluated: the
 * JSON tree built here and the Rego engine's own copy of it, which the engine makes of every
 * input. It walks the message the way {@link PolicyInput#toJson} does, counting instead of
 * building, so the gate can reserve the bytes before building anything. Two wire bytes can become
 * an object with every declared field of its type; a byte of a {@code bytes} field an element of
 * two arrays.
 */
public final class PolicyInputCost {

    /** An object in both trees: node, hash map and table; value, sorted map. */
    static final long OBJECT = 256;
    /** A member of an object in both trees: map entries, table slot, the engine's key. */
    static final long MEMBER = 128;
    /** An array in both trees. */
    static final long ARRAY = 128;
    /** An element of an array in both trees: a reference in each list, and a copy of one. */
    static final long ELEMENT = 16;
    /** A number or string node and the engine's value for it (a BigDecimal for a number). */
    static final long SCALAR = 128;

    private PolicyInputCost() {
    }

    /** The estimate for {@code request}'s policy input, in bytes. */
    public static long of(Message request) {
        return message(request);
    }

    private static long message(Message message) {
        long cost = OBJECT;
        Set<OneofDescriptor> written = new HashSet<>();
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            OneofDescriptor oneof = field.getRealContainingOneof();
            if (oneof != null) {
                if (written.add(oneof)) {
                    FieldDescriptor set = message.getOneofFieldDescriptor(oneof);
                    cost += MEMBER + (set == null ? 0 : OBJECT + MEMBER + single(set, message.getField(set)));
                }
                continue;
            }
            cost += MEMBER + field(message, field);
        }
        return cost;
    }

    private static long field(Message message, FieldDescriptor field) {
        if (field.isRepeated()) {
            int count = message.getRepeatedFieldCount(field);
            // a map is an object: a member per entry, as many as the entries
            long cost = field.isMapField() ? OBJECT : ARRAY;
            for (int i = 0; i < count; i++) {
                cost += field.isMapField() ? MEMBER + mapValue(message, field, i)
                        : ELEMENT + single(field, message.getRepeatedField(field, i));
            }
            return cost;
        }
        if (field.hasPresence() && !message.hasField(field)) {
            return 0;
        }
        return single(field, message.getField(field));
    }

    private static long mapValue(Message message, FieldDescriptor field, int index) {
        FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
        Message entry = (Message) message.getRepeatedField(field, index);
        // the entry as the map's list view builds it, then its value
        return OBJECT + single(valueField, entry.getField(valueField));
    }

    private static long single(FieldDescriptor field, Object value) {
        return switch (field.getJavaType()) {
            case MESSAGE -> message((Message) value);
            // one shared node per byte value; the engine shares its small numbers too
            case BYTE_STRING -> ARRAY + ELEMENT * ((ByteString) value).size();
            // the text is the message's own String, shared by both trees
            default -> SCALAR;
        };
    }
}
