package org.cvmagent.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.ArrayList;
import java.util.List;

/** Renders descriptors as short strings so tests can compare them against written-out tables. */
final class DescriptorTables {
    private DescriptorTables() {}

    /** "Name(pkg.Request) -> pkg.Response" for every method, in declaration order. */
    static List<String> methods(ServiceDescriptor service) {
        List<String> out = new ArrayList<>();
        for (MethodDescriptor m : service.getMethods()) {
            String streaming = (m.isClientStreaming() ? "stream " : "") + (m.isServerStreaming() ? "stream " : "");
            out.add(m.getName() + "(" + m.getInputType().getFullName() + ") -> " + streaming
                    + m.getOutputType().getFullName());
        }
        return out;
    }

    /** "number name type" for every field, in declaration order. */
    static List<String> fields(Descriptor message) {
        List<String> out = new ArrayList<>();
        for (FieldDescriptor f : message.getFields()) {
            out.add(f.getNumber() + " " + f.getName() + " " + type(f));
        }
        return out;
    }

    private static String type(FieldDescriptor f) {
        if (f.isMapField()) {
            Descriptor entry = f.getMessageType();
            return "map<" + scalar(entry.findFieldByName("key")) + "," + scalar(entry.findFieldByName("value")) + ">";
        }
        String prefix = "";
        if (f.isRepeated()) {
            prefix = "repeated ";
        } else if (f.getRealContainingOneof() != null) {
            prefix = "oneof " + f.getRealContainingOneof().getName() + " ";
        } else if (f.getContainingOneof() != null) { // synthetic oneof of a proto3 'optional'
            prefix = "optional ";
        }
        return prefix + scalar(f);
    }

    private static String scalar(FieldDescriptor f) {
        return switch (f.getType()) {
            case MESSAGE, GROUP -> f.getMessageType().getFullName();
            case ENUM -> f.getEnumType().getFullName();
            default -> f.getType().name().toLowerCase();
        };
    }

    static void assertFields(Descriptor message, String... expected) {
        assertNotNull(message);
        assertEquals(List.of(expected), fields(message), "fields of " + message.getFullName());
    }

    static void assertMethods(ServiceDescriptor service, String... expected) {
        assertNotNull(service);
        assertEquals(List.of(expected), methods(service), "methods of " + service.getFullName());
    }
}
