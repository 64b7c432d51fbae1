package config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a file that comes from outside and should be small: the config, the admin token. Only a
 * regular file (or a link to one) is opened: a FIFO would block the open until a writer came, and
 * {@code /dev/zero} never ends. What is read stops at the limit, so a file that grows while it is
 * read cannot exhaust the heap either. With both bounds a read takes as long as reading at most
 * {@code limit} bytes of a local file.
 *
 * <p>A file swapped for a FIFO between the check and the open would still block; that window is
 * one system call wide, and only someone who can already write the config folder can open it.
 */
public final class SmallFile {
    private SmallFile() {
    }

    /** Why a file was not read, in words that follow its name: "is a FIFO ...". */
    public static final class Refused extends IOException {
        Refused(String message) {
            super(message, null);
        }
    }

    /**
     * The file's bytes.
     *
     * @param what what the file should be, for messages ("a featherlb YAML config file")
     * @throws Refused when it is not a regular file or is over {@code limit} bytes
     * @throws java.nio.file.NoSuchFileException when it does not exist
     */
    public static byte[] read(Path file, int limit, String what) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class); // follows links
        if (!attributes.isRegularFile()) {
            String kind = attributes.isDirectory() ? "a folder" : isDevice(file) ? "a device" : "a FIFO or socket";
            throw new Refused("is not a regular file but " + kind + " (expected " + what + ")");
        }
        if (attributes.size() > limit) throw tooLarge(attributes.size(), limit, what);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(limit + 1);
        }
        if (bytes.length > limit) throw tooLarge(Math.max(bytes.length, Files.size(file)), limit, what);
        return bytes;
    }

    private static Refused tooLarge(long size, int limit, String what) {
        return new Refused("is " + size + " bytes (expected " + what + " of at most " + limit + " bytes" + mebibytes(limit) + ")");
    }

    private static String mebibytes(int limit) {
        return limit % (1024 * 1024) == 0 ? ", " + limit / (1024 * 1024) + " MiB"
                : limit % 1024 == 0 ? ", " + limit / 1024 + " KiB" : "";
    }

    private static boolean isDevice(Path file) {
        try {
            // the "unix" view knows the file's mode: S_IFCHR or S_IFBLK; absent on other systems
            int mode = (Integer) Files.getAttribute(file, "unix:mode");
            int type = mode & 0170000;
            return type == 0020000 || type == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
