package org.cvmagent.image;

/** A number of layers in words, for messages: "1 layer", "3 layers". */
public final class LayerCount {
    private LayerCount() {
    }

    public static String of(int layers) {
        return layers + (layers == 1 ? " layer" : " layers");
    }
}
