#pragma once
// Some codecs (libpng, libtiff, OpenCV's own loaders) print to stderr when a file is bad;
// imgpool says what went wrong in one line of its own, so theirs is held back unless -v.
namespace imgpool::cli {

class QuietStderr {
public:
    explicit QuietStderr(bool active);
    ~QuietStderr();
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;

private:
    int saved_ = -1;
};

}  // namespace imgpool::cli
