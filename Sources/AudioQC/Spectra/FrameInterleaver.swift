/// Frames computed on one thread and handed, with the block of samples they came from, to the
/// thread that consumes them: power spectrum, block power and size, padding, in order.
final class FrameStore {
    let capacity: Int
    let binCount: Int
    private(set) var count = 0
    private let spectra: UnsafeMutablePointer<Float>
    private let powers: UnsafeMutablePointer<Float>
    private let sizes: UnsafeMutablePointer<Int>
    private let padded: UnsafeMutablePointer<Bool>

    init(capacity: Int, binCount: Int) {
        self.capacity = capacity
        self.binCount = binCount
        spectra = .allocate(capacity: capacity * binCount)
        powers = .allocate(capacity: capacity)
        sizes = .allocate(capacity: capacity)
        padded = .allocate(capacity: capacity)
    }

    deinit {
        spectra.deallocate()
        powers.deallocate()
        sizes.deallocate()
        padded.deallocate()
    }

    func removeAll() { count = 0 }

    func append(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
        precondition(count < capacity, "a block holds more frames than its store was sized for")
        (spectra + count * binCount).update(from: spectrum, count: binCount)
        powers[count] = blockPower
        sizes[count] = blockSamples
        padded[count] = isPadded
        count += 1
    }

    /// Hands frame `index` to `consumer`.
    func deliver(_ index: Int, to consumer: any FrameConsumer) {
        consumer.consumeFrame(spectrum: spectra + index * binCount, blockPower: powers[index],
                              blockSamples: sizes[index], isPadded: padded[index])
    }

    /// Moves frames `from…` of `other` into this store, after those it holds.
    func take(_ other: FrameStore, from first: Int) {
        for index in first..<other.count {
            append(spectrum: other.spectra + index * binCount, blockPower: other.powers[index],
                   blockSamples: other.sizes[index], isPadded: other.padded[index])
        }
    }
}

/// Collects frames into whichever `FrameStore` it is pointed at.
final class FrameCollector: FrameConsumer {
    var store: FrameStore?

    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
        store?.append(spectrum: spectrum, blockPower: blockPower, blockSamples: blockSamples, isPadded: isPadded)
    }
}

/// Puts back in order the frames of a long recording whose transforms two threads share: the
/// decoding thread computes the even frames (`SpectralFramer` with stride 2, phase 0) and
/// stores them with their block; the consuming thread computes the odd ones and, before each,
/// hands over the even frames that precede it. The results are those of one framer, frame for
/// frame, at about half the transform work on the consuming thread.
final class FrameInterleaver: FrameConsumer {
    private let consumer: any FrameConsumer
    /// Even frames of the block being consumed.
    private var evens: FrameStore?
    private var nextEven = 0
    /// Even frames left over from the previous block (at most one or two), delivered from `carriedNext`.
    private let carried: FrameStore
    private var carriedNext = 0
    private var evenIndex = 0
    private var oddIndex = 1

    init(consumer: any FrameConsumer, binCount: Int) {
        self.consumer = consumer
        carried = FrameStore(capacity: 8, binCount: binCount)
    }

    /// The even frames of the next block.
    func beginBlock(evens store: FrameStore) {
        evens = store
        nextEven = 0
    }

    /// The block's odd frames are all in: its even frames not yet delivered (at most one or two)
    /// are copied out, since the decoding thread reuses the block's store as soon as it is handed back.
    func endBlock() {
        if let evens, nextEven < evens.count {
            carried.take(evens, from: nextEven)
        }
        evens = nil
    }

    /// An odd frame from the consuming thread's framer: the even frame before it goes first.
    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
        deliverEvens(before: oddIndex)
        consumer.consumeFrame(spectrum: spectrum, blockPower: blockPower, blockSamples: blockSamples, isPadded: isPadded)
        oddIndex += 2
    }

    /// Delivers every even frame left, after the last odd frame.
    func finish() {
        deliverEvens(before: .max)
    }

    private func deliverEvens(before limit: Int) {
        while evenIndex < limit {
            if carriedNext < carried.count {
                carried.deliver(carriedNext, to: consumer)
                carriedNext += 1
            } else if let evens, nextEven < evens.count {
                evens.deliver(nextEven, to: consumer)
                nextEven += 1
            } else {
                break
            }
            evenIndex += 2
        }
        if carriedNext == carried.count && carriedNext > 0 {
            carried.removeAll()
            carriedNext = 0
        }
    }
}
