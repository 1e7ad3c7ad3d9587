#pragma once
// A PNG file pooled straight into PNG bytes, decoding overlapped with pooling and deflating.
#include <opencv2/core.hpp>
#include <string>

#include "imgpool/error.hpp"
#include "imgpool/image_io.hpp"
#include "imgpool/params.hpp"

namespace imgpool::io {

// Encoding the result failed (the input was fine): the caller names its output.
class EncodeError : public IoError {
public:
    using IoError::IoError;
};

struct PooledPng {
    cv::Mat pooled;  // pool(decoded input, p)
    Bytes png;       // encode(pooled, Format::png, opt)
};

// pool(decode_file(data, path, probed), p) and its PNG bytes, exactly those. For a regular
// PNG file without EXIF rotation, window pooling, a result PNG deflates in pieces
// (png_parallel.hpp) and cv::getNumThreads() >= 2, the rows are pooled as the decoder
// finishes them (pool_rows.hpp) and their pieces deflated on the other threads meanwhile, so
// that decoding, which is serial, overlaps the encoding; anything else is decoded, pooled
// and encoded in turn. Throws IoError for the input as decode_file does, EncodeError if the
// result cannot be encoded, imgpool::Error for invalid parameters; no thread outlives it.
PooledPng pool_png_file(Bytes&& data, const std::string& path, const Info& probed, const PoolParams& p,
                        const EncodeOptions& opt);

}  // namespace imgpool::io
