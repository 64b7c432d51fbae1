package proxy;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The large direct buffers that a {@link Flow} borrows to hold what a slow reader has not taken yet,
 * until it has: reused, because allocating a direct buffer costs a system call and a Cleaner, too
 * much per burst. Direct rather than heap, because a channel write from a heap buffer goes through a
 * temporary direct buffer and a copy. Used from every loop's thread, hence the concurrent queue.
 */
final class BufferPool {
    private final int size;
    private final int retain;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    /** Buffers of {@code size} bytes; at most {@code retain} idle ones are kept. */
    BufferPool(int size, int retain) {
        this.size = size;
        this.retain = retain;
    }

    ByteBuffer take() {
        ByteBuffer buffer = free.poll();
        if (buffer == null) return ByteBuffer.allocateDirect(size);
        freeCount.decrementAndGet();
        return buffer.clear();
    }

    void give(ByteBuffer buffer) {
        if (freeCount.incrementAndGet() <= retain) {
            free.offer(buffer);
        } else {
            freeCount.decrementAndGet(); // dropped: the Cleaner frees it
        }
    }
}
