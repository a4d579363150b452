package org.cvmagent.agent.fs;

/** The octal escapes ({@code \040} for a space) the kernel writes in /proc/self/mountinfo paths. */
public final class MountinfoText {

    private MountinfoText() {
    }

    public static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String text, int index) {
        return index < text.length() && text.charAt(index) >= '0' && text.charAt(index) <= '7';
    }
}
