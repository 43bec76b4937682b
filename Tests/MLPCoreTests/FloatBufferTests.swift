import Testing
@testable import MLPCore

/// Slabs start zeroed and aligned: small ones on a cache line, ones of at least half a huge
/// page on a 2 MiB boundary (so the kernel can back them with transparent huge pages).
@Suite struct FloatBufferTests {
    static func address(_ buffer: FloatBuffer) -> Int {
        buffer.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
    }

    @Test(arguments: [0, 1, 17, 1000, FloatBuffer.hugePageBytes / 8 - 1])
    func smallBuffersAreCacheLineAlignedAndZero(count: Int) {
        let buffer = FloatBuffer(count: count)
        #expect(buffer.count == count)
        #expect(Self.address(buffer) % FloatBuffer.alignment == 0)
        #expect(buffer.array.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [FloatBuffer.hugePageBytes / 8, FloatBuffer.hugePageBytes / 4 + 3, 3 * FloatBuffer.hugePageBytes / 4])
    func largeBuffersStartOnAHugePage(count: Int) {
        let buffer = FloatBuffer(count: count)
        #expect(buffer.count == count)
        #expect(Self.address(buffer) % FloatBuffer.hugePageBytes == 0)
        #expect(buffer.array.allSatisfy { $0 == 0 })
        buffer[count - 1] = 3
        let copy = FloatBuffer(count: count)
        copy.copy(from: buffer)
        #expect(copy[count - 1] == 3 && copy[0] == 0)
    }
}
