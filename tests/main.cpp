#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
    // The library's OpenCV codecs plugin is built beside build/imgpool, not beside this
    // program; a directory given by the caller wins.
    setenv("IMGPOOL_PLUGIN_DIR", IMGPOOL_PLUGIN_DIR, 0);
    return doctest::Context(argc, argv).run();
}
