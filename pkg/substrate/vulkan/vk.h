// vk.h: the thin C layer between Go and the Vulkan API. libvulkan.so.1 is
// opened with dlopen and every entry point is fetched through
// vkGetInstanceProcAddr / vkGetDeviceProcAddr, so nothing links against
// Vulkan. Go calls these functions; they never call back into Go.
//
// Threading: an svk_device's queue is guarded by its own mutex; a frame (a
// command buffer with its fence, descriptor pool and timestamp queries) is
// used by one goroutine at a time, from svk_frame_get to svk_frame_put.
#ifndef SOKR_VK_H
#define SOKR_VK_H

#define VK_NO_PROTOTYPES
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan_core.h>

#define SVK_ERRLEN 512
#define SVK_MAX_MESSAGES 64
// Scratch bytes a frame keeps for the Go side's dispatch arguments.
#define SVK_FRAME_ARGS (8 * (3 * 256 + 64))

typedef struct svk_instance svk_instance;
typedef struct svk_device svk_device;
typedef struct svk_pipeline svk_pipeline;
typedef struct svk_frame svk_frame;

// A buffer and its own memory. Host buffers are mapped (map != NULL).
typedef struct svk_buffer {
  VkBuffer buf;
  VkDeviceMemory mem;
  void *map;
  uint64_t size;
} svk_buffer;

// What Go needs to know about a physical device.
typedef struct svk_info {
  char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  uint32_t api_version, vendor_id, device_id, device_type;
  uint8_t uuid[VK_UUID_SIZE];
  uint32_t max_wg_count[3], max_wg_size[3], max_wg_invocations;
  uint32_t max_shared, max_push, max_storage_range, max_uniform_range;
  uint32_t max_storage_per_stage, max_uniform_per_stage, max_bound_sets;
  uint64_t max_alloc;
  uint32_t timestamp_bits;
  uint64_t device_local_bytes;
  // Features (0 or 1).
  uint32_t robust, storage_array_dynamic;
  uint32_t f64, i64, i16, i8, f16, sb16, ub16, pc16, sb8, ub8, pc8;
  uint32_t int64_atomics, var_ptrs, var_ptrs_sb, vmm;
  uint32_t subgroup_ops, subgroup_stages, subgroup_size;
} svk_info;

// Instance: load the loader at path (NULL: "libvulkan.so.1") and create an
// instance; validation turns on VK_LAYER_KHRONOS_validation and records its
// messages. On failure returns NULL with the reason in err.
svk_instance *svk_open(const char *path, int validation, char *err);
void svk_close(svk_instance *in);
uint32_t svk_count(svk_instance *in);
void svk_info_get(svk_instance *in, uint32_t i, svk_info *out);
uint32_t svk_api_version(svk_instance *in);
// Validation messages recorded so far (at most SVK_MAX_MESSAGES kept; the
// count keeps going).
uint32_t svk_messages(svk_instance *in);
void svk_message(svk_instance *in, uint32_t i, char *buf, size_t len);
void svk_clear_messages(svk_instance *in);

// Device: one logical device with one compute queue.
svk_device *svk_device_open(svk_instance *in, uint32_t index, const void *cache, size_t cache_len, char *err);
void svk_device_close(svk_device *d);
// Waits until the device has finished all submitted work (or is lost).
void svk_device_idle(svk_device *d);
// Copies the pipeline cache into buf (when len is large enough) and returns
// its size.
size_t svk_device_cache(svk_device *d, void *buf, size_t len);

// Buffers. host: a mapped host-visible (staging) buffer; otherwise
// device-local.
int svk_buffer_create(svk_device *d, uint64_t size, int host, svk_buffer *out, char *err);
void svk_buffer_destroy(svk_device *d, svk_buffer *b);

// A compute pipeline for one entry point. Bindings are given as parallel
// arrays (set, binding, uniform?, descriptor count; counts NULL: 1 each).
// Specialization constants: nspec entries (ids, offsets into spec_data,
// sizes), or none.
svk_pipeline *svk_pipeline_create(svk_device *d, const uint32_t *code, size_t bytes, const char *entry,
                                  uint32_t nbind, const uint32_t *sets, const uint32_t *bindings,
                                  const uint32_t *uniform, const uint32_t *counts, uint32_t push_bytes,
                                  uint32_t nspec, const uint32_t *spec_ids, const uint32_t *spec_offsets,
                                  const uint32_t *spec_sizes, const void *spec_data, size_t spec_bytes,
                                  char *err);
void svk_pipeline_destroy(svk_device *d, svk_pipeline *p);

// Frames. get: a free frame, its command buffer begun; NULL with err set on
// failure.
svk_frame *svk_frame_get(svk_device *d, char *err);
void svk_cmd_copy(svk_frame *f, svk_buffer *src, uint64_t src_off, svk_buffer *dst, uint64_t dst_off, uint64_t size);
// A full memory barrier between transfer and compute work.
void svk_cmd_barrier(svk_frame *f);
// query 0 or 1: the start and end timestamps.
void svk_cmd_timestamp(svk_frame *f, uint32_t query);
// Binds bufs[i] (whole buffer from offs[i], ranges[i] bytes; 0: to the end)
// at the pipeline's i-th descriptor (a binding with a descriptor array takes
// as many consecutive entries as its count), pushes the constants and
// dispatches.
int svk_cmd_dispatch(svk_frame *f, svk_pipeline *p, svk_buffer *const *bufs, const uint64_t *offs,
                     const uint64_t *ranges, const void *push, uint32_t push_bytes, uint32_t gx, uint32_t gy,
                     uint32_t gz, char *err);
// Dispatches p with the descriptor set the last svk_cmd_dispatch bound,
// which must have been for a pipeline whose layout is identical to p's
// (the circuit kernels all share one).
void svk_cmd_dispatch_bound(svk_frame *f, svk_pipeline *p, const void *push, uint32_t push_bytes, uint32_t gx,
                            uint32_t gy, uint32_t gz);
int svk_frame_submit(svk_frame *f, char *err);
// Polls the fence for up to spin_ns, then waits up to timeout_ns:
// VK_SUCCESS, VK_TIMEOUT or an error.
int svk_frame_wait(svk_frame *f, uint64_t spin_ns, uint64_t timeout_ns);
// The GPU time between the two timestamps in ns; 0 when unavailable.
uint64_t svk_frame_elapsed(svk_frame *f);
void svk_frame_put(svk_frame *f);
// The frame's scratch: SVK_FRAME_ARGS bytes for arguments, SVK_ERRLEN for
// error text; valid until svk_frame_put.
void *svk_frame_args(svk_frame *f);
char *svk_frame_err(svk_frame *f);
// The bytes a frame's own allocation takes (its scratch included), for the
// host-memory estimate; the driver's objects in it are not counted.
size_t svk_frame_size(void);

const char *svk_result_name(int r);

#endif
