package org.cvmagent.agent.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.Set;
import java.util.TreeSet;
import org.cvmagent.proto.agent.Spec;
import org.junit.jupiter.api.Test;

/**
 * Guards the claim that {@link OciSpecSamples#full()} sets every field of kata's oci.proto: a
 * field added to the proto later shows up here until the full sample (and so the expected
 * full-config.json and the translator) covers it.
 */
class OciSpecSamplesCoverageTest {

    /** Placeholders kata never fills; the translator refuses them (tested separately). */
    private static final Set<String> NOT_SENT = Set.of("grpc.Spec.Solaris", "grpc.Spec.Windows");

    @Test
    void fullSampleSetsEveryFieldOfTheProto() {
        Set<String> declared = new TreeSet<>();
        declaredFields(Spec.getDescriptor(), declared);
        declared.removeAll(NOT_SENT);
        Set<String> set = new TreeSet<>();
        setFields(OciSpecSamples.full(), set);

        declared.removeAll(set);
        assertEquals(Set.of(), declared, "fields the full sample leaves unset");
    }

    private static void declaredFields(Descriptor type, Set<String> out) {
        for (FieldDescriptor field : type.getFields()) {
            if (out.add(field.getFullName()) && !NOT_SENT.contains(field.getFullName())
                    && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                    && !field.isMapField()) {
                declaredFields(field.getMessageType(), out);
            }
        }
    }

    /** A field counts as set when any instance of its message carries a non-default value. */
    private static void setFields(Message message, Set<String> out) {
        message.getAllFields().forEach((field, value) -> {
            out.add(field.getFullName());
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isMapField()) {
                if (field.isRepeated()) {
                    ((Iterable<?>) value).forEach(element -> setFields((Message) element, out));
                } else {
                    setFields((Message) value, out);
                }
            }
        });
    }
}
