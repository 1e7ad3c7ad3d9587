/* The C interface of imgpool_opencv_codecs.so, the plugin that holds OpenCV's image codecs
 * (libopencv_imgcodecs pulls in ~140 shared libraries: loading them costs every process
 * ~50 ms and ~40 MB, so only files that need them load the plugin). Pixels cross in
 * imgpool's RGB(A) order; no C++ exception crosses. */
#ifndef IMGPOOL_OPENCV_PLUGIN_ABI_H
#define IMGPOOL_OPENCV_PLUGIN_ABI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMGPOOL_PLUGIN_FILE "imgpool_opencv_codecs.so"
#define IMGPOOL_PLUGIN_ABI_VERSION 1

/* Gives memory for a rows x cols image of OpenCV type `type`, rows `*step` bytes apart;
 * NULL when it cannot. */
typedef unsigned char* (*imgpool_alloc_fn)(void* ctx, int rows, int cols, int type, size_t* step);
/* Takes the encoded bytes; 0 when it cannot. */
typedef int (*imgpool_sink_fn)(void* ctx, const unsigned char* data, size_t size);

/* IMGPOOL_PLUGIN_ABI_VERSION of the plugin. */
int imgpool_plugin_abi_version(void);

/* cv::imdecode(IMREAD_UNCHANGED), then BGR(A) -> RGB(A), into memory from `alloc`.
 * Returns 0, or nonzero with a reason in `err` (empty when OpenCV gives none). */
int imgpool_plugin_decode(const unsigned char* data, size_t size, imgpool_alloc_fn alloc, void* ctx, char* err,
                          size_t err_size);

/* RGB(A) -> BGR(A), then cv::imencode(ext) with OpenCV's default settings into `sink`.
 * `ext` is ".bmp", ... Returns 0, or nonzero with a reason in `err` (empty when OpenCV gives
 * none). */
int imgpool_plugin_encode(const char* ext, int rows, int cols, int type, const unsigned char* pixels, size_t step,
                          imgpool_sink_fn sink, void* ctx, char* err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
