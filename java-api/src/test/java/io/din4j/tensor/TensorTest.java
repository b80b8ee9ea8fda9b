package io.din4j.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void allocatesZeroedAndReadsBack() {
        try (HostArena arena = new HostArena()) {
            Tensor t = arena.f32(3, 5);
            assertEquals(15, t.size());
            for (long i = 0; i < t.size(); i++) {
                assertEquals(0f, t.getFloat(i));
            }
            t.setFloat(7, 2.5f);
            assertEquals(2.5f, t.reshape(15).getFloat(7));
            assertEquals(2.5f, t.rows(1, 2).getFloat(2));
        }
    }

    @Test
    void viewsCheckTheirBounds() {
        try (HostArena arena = new HostArena()) {
            Tensor t = arena.i32(4, 2);
            assertThrows(IndexOutOfBoundsException.class, () -> t.rows(2, 5));
            assertThrows(IllegalArgumentException.class, () -> t.reshape(9));
            assertThrows(IndexOutOfBoundsException.class, () -> t.rows(0, 1).getInt(2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.require("ids", DType.I32, 4, 3));
            assertTrue(e.getMessage().startsWith("ids:"), e.getMessage());
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfReadingFreedMemory() {
        HostArena arena = new HostArena();
        Tensor t = arena.f32(8);
        long before = HostArena.liveBytes();
        arena.close();
        arena.close();
        assertEquals(before - 32, HostArena.liveBytes());
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
    }

    @Test
    void offsetsBeyondTwoGigabytesAreAddressable() {
        // A 2^31 + 16 element view checks long offsets without allocating 8 GiB: reshape and rows on a
        // zero-length device tensor exercise the same offset arithmetic.
        Tensor big = Tensor.onDevice(DType.F32, 0L, (1L << 31) + 16, 1);
        Tensor tail = big.rows(1L << 31, (1L << 31) + 16);
        assertEquals((1L << 31) * 4, tail.deviceAddress());
        assertEquals(16, tail.size());
    }
}
