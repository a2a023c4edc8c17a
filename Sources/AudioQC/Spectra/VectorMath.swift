import Foundation

/// Reductions over contiguous `Float` samples with SIMD accumulators.
///
/// Plain Swift loops over floats are not vectorised (the compiler keeps the order of additions),
/// and these sums run over every sample of every recording.
enum VectorMath {
    /// Sum of the values, accumulated in eight lanes.
    @inline(__always)
    static func sum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        let raw = UnsafeRawPointer(values)
        while index + 8 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            index += 8
        }
        var total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        while index < count { total += values[index]; index += 1 }
        return total
    }

    /// Sum of the squared values, accumulated in eight lanes.
    static func sumOfSquares(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        let raw = UnsafeRawPointer(values)
        while index + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            lanes += v * v
            index += 8
        }
        var total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        while index < count { total += values[index] * values[index]; index += 1 }
        return total
    }

    /// Largest and smallest value.
    static func extremes(_ values: UnsafePointer<Float>, count: Int) -> (min: Float, max: Float) {
        var low = SIMD8<Float>(repeating: .greatestFiniteMagnitude)
        var high = SIMD8<Float>(repeating: -.greatestFiniteMagnitude)
        var index = 0
        let raw = UnsafeRawPointer(values)
        while index + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            low.replace(with: v, where: v .< low)
            high.replace(with: v, where: v .> high)
            index += 8
        }
        var lo = horizontalMin(low), hi = horizontalMax(high)
        while index < count { lo = Swift.min(lo, values[index]); hi = Swift.max(hi, values[index]); index += 1 }
        return (lo, hi)
    }

    /// Smallest lane, written out: the standard library's generic reduction is not inlined.
    @inline(__always)
    static func horizontalMin(_ v: SIMD8<Float>) -> Float {
        Swift.min(Swift.min(Swift.min(v[0], v[1]), Swift.min(v[2], v[3])), Swift.min(Swift.min(v[4], v[5]), Swift.min(v[6], v[7])))
    }

    /// Largest lane, written out.
    @inline(__always)
    static func horizontalMax(_ v: SIMD8<Float>) -> Float {
        Swift.max(Swift.max(Swift.max(v[0], v[1]), Swift.max(v[2], v[3])), Swift.max(Swift.max(v[4], v[5]), Swift.max(v[6], v[7])))
    }

    /// Subtracts `offset` from every value in place.
    static func subtract(_ offset: Float, from values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { values[index] -= offset }
    }
}

/// Decibels of a power ratio, or nil for a ratio that is not positive.
@inlinable func decibels(power: Double) -> Double? {
    power > 0 ? 10 * log10(power) : nil
}

extension VectorMath {
    /// `10·log10(x)` for positive normal `x` to within 0.0004 dB, without a call to the C
    /// library: the exponent from the bits, log2 of the mantissa from a quartic. The speech
    /// detector takes some thirty logarithms per frame, which `log10f` would make a tenth of
    /// the analysis time.
    @inline(__always)
    static func fastDecibels(_ x: Float) -> Float {
        let bits = max(x, 1e-30).bitPattern
        let exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
        let t = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000) - 1
        let log2Mantissa = t * (1.4386380 + t * (-0.6777433 + t * (0.3218797 + t * -0.0828607)))
        return (exponent + log2Mantissa) * 3.0102999566
    }

    /// `fastDecibels` of `count` values into `output`, eight at a time.
    static func fastDecibels(_ values: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
        var index = 0
        let raw = UnsafeRawPointer(values)
        while index + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            let bits = unsafeBitCast(x.replacing(with: 1e-30, where: x .< 1e-30), to: SIMD8<UInt32>.self)
            let exponent = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: (bits &>> 23) & 0xFF) &- 127)
            let t = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD8<Float>.self) - 1
            let log2Mantissa = t * (1.4386380 + t * (-0.6777433 + t * (0.3218797 + t * -0.0828607)))
            UnsafeMutableRawPointer(output + index).storeBytes(of: (exponent + log2Mantissa) * 3.0102999566, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            output[index] = fastDecibels(values[index])
            index += 1
        }
    }
}
