// vk.c: see vk.h.
#include "vk.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Frame descriptor pools hold this many sets and buffers; a pipeline that
// needs more is refused when it is created.
#define FRAME_SETS 32
#define FRAME_STORAGE 256
#define FRAME_UNIFORM 64
#define MAX_SETS 8

#define INSTANCE_FNS(X)                                                                                           \
  X(vkDestroyInstance)                                                                                            \
  X(vkEnumeratePhysicalDevices)                                                                                   \
  X(vkGetPhysicalDeviceProperties)                                                                                \
  X(vkGetPhysicalDeviceProperties2)                                                                               \
  X(vkGetPhysicalDeviceFeatures)                                                                                  \
  X(vkGetPhysicalDeviceFeatures2)                                                                                 \
  X(vkGetPhysicalDeviceMemoryProperties)                                                                          \
  X(vkGetPhysicalDeviceQueueFamilyProperties)                                                                     \
  X(vkCreateDevice)                                                                                               \
  X(vkGetDeviceProcAddr)                                                                                          \
  X(vkCreateDebugUtilsMessengerEXT)                                                                               \
  X(vkDestroyDebugUtilsMessengerEXT)

#define DEVICE_FNS(X)                                                                                             \
  X(vkDestroyDevice)                                                                                              \
  X(vkGetDeviceQueue)                                                                                             \
  X(vkDeviceWaitIdle)                                                                                             \
  X(vkCreateBuffer)                                                                                               \
  X(vkDestroyBuffer)                                                                                              \
  X(vkGetBufferMemoryRequirements)                                                                                \
  X(vkAllocateMemory)                                                                                             \
  X(vkFreeMemory)                                                                                                 \
  X(vkBindBufferMemory)                                                                                           \
  X(vkMapMemory)                                                                                                  \
  X(vkCreateShaderModule)                                                                                         \
  X(vkDestroyShaderModule)                                                                                        \
  X(vkCreateDescriptorSetLayout)                                                                                  \
  X(vkDestroyDescriptorSetLayout)                                                                                 \
  X(vkCreatePipelineLayout)                                                                                       \
  X(vkDestroyPipelineLayout)                                                                                      \
  X(vkCreatePipelineCache)                                                                                        \
  X(vkDestroyPipelineCache)                                                                                       \
  X(vkGetPipelineCacheData)                                                                                       \
  X(vkCreateComputePipelines)                                                                                     \
  X(vkDestroyPipeline)                                                                                            \
  X(vkCreateDescriptorPool)                                                                                       \
  X(vkDestroyDescriptorPool)                                                                                      \
  X(vkResetDescriptorPool)                                                                                        \
  X(vkAllocateDescriptorSets)                                                                                     \
  X(vkUpdateDescriptorSets)                                                                                       \
  X(vkCreateCommandPool)                                                                                          \
  X(vkDestroyCommandPool)                                                                                         \
  X(vkResetCommandPool)                                                                                           \
  X(vkAllocateCommandBuffers)                                                                                     \
  X(vkBeginCommandBuffer)                                                                                         \
  X(vkEndCommandBuffer)                                                                                           \
  X(vkCmdCopyBuffer)                                                                                              \
  X(vkCmdPipelineBarrier)                                                                                         \
  X(vkCmdBindPipeline)                                                                                            \
  X(vkCmdBindDescriptorSets)                                                                                      \
  X(vkCmdPushConstants)                                                                                           \
  X(vkCmdDispatch)                                                                                                \
  X(vkCmdResetQueryPool)                                                                                          \
  X(vkCmdWriteTimestamp)                                                                                          \
  X(vkCreateQueryPool)                                                                                            \
  X(vkDestroyQueryPool)                                                                                           \
  X(vkGetQueryPoolResults)                                                                                        \
  X(vkCreateFence)                                                                                                \
  X(vkDestroyFence)                                                                                               \
  X(vkResetFences)                                                                                                \
  X(vkWaitForFences)                                                                                              \
  X(vkGetFenceStatus)                                                                                             \
  X(vkQueueSubmit)

#define DECLARE(name) PFN_##name name;

struct svk_instance {
  void *lib;
  PFN_vkGetInstanceProcAddr gipa;
  VkInstance inst;
  uint32_t api;
  INSTANCE_FNS(DECLARE)
  VkDebugUtilsMessengerEXT messenger;
  uint32_t ndev;
  VkPhysicalDevice *devs;
  pthread_mutex_t msg_mu;
  uint32_t nmsg;
  char *msgs[SVK_MAX_MESSAGES];
};

struct svk_device {
  svk_instance *in;
  VkPhysicalDevice phys;
  VkDevice dev;
  INSTANCE_FNS(DECLARE)
  DEVICE_FNS(DECLARE)
  VkQueue queue;
  uint32_t family;
  uint32_t timestamp_bits;
  float timestamp_period;
  int32_t local_type, host_type;
  VkPipelineCache cache;
  pthread_mutex_t queue_mu;
  pthread_mutex_t frames_mu;
  svk_frame *free_frames;
};

struct svk_pipeline {
  VkPipeline pipe;
  VkPipelineLayout layout;
  uint32_t nsets;
  VkDescriptorSetLayout sets[MAX_SETS];
  uint32_t nbind, nstorage, nuniform;
  uint32_t *bind_set, *bind_num, *bind_uniform, *bind_count;
  uint32_t push_bytes;
};

struct svk_frame {
  svk_device *d;
  svk_frame *next;
  VkCommandPool pool;
  VkCommandBuffer cmd;
  VkFence fence;
  // Descriptor pools: pools[0..npools) exist, cur is being filled, with
  // used_* of its capacity taken.
  VkDescriptorPool *pools;
  uint32_t npools, cap_pools, cur, used_sets, used_storage, used_uniform;
  // Scratch for the Go side: dispatch arguments and error text.
  uint64_t args[SVK_FRAME_ARGS / 8];
  char err[SVK_ERRLEN];
  VkQueryPool queries;
  int timed;
};

static void errorf(char *err, const char *fmt, ...) {
  if (!err) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, SVK_ERRLEN, fmt, ap);
  va_end(ap);
}

const char *svk_result_name(int r) {
  switch (r) {
  case VK_SUCCESS: return "VK_SUCCESS";
  case VK_NOT_READY: return "VK_NOT_READY";
  case VK_TIMEOUT: return "VK_TIMEOUT";
  case VK_INCOMPLETE: return "VK_INCOMPLETE";
  case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
  case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
  case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
  case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
  case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
  case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
  case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
  case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
  case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
  case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
  case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
  case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
  case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
  case VK_ERROR_UNKNOWN: return "VK_ERROR_UNKNOWN";
  default: return "VkResult";
  }
}

#define CHECK(call, what)                                                                                         \
  do {                                                                                                            \
    VkResult r_ = (call);                                                                                         \
    if (r_ != VK_SUCCESS) {                                                                                       \
      errorf(err, "%s: %s (%d)", what, svk_result_name(r_), (int)r_);                                             \
      goto fail;                                                                                                  \
    }                                                                                                             \
  } while (0)

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT types,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
  (void)severity;
  (void)types;
  svk_instance *in = user;
  pthread_mutex_lock(&in->msg_mu);
  if (in->nmsg < SVK_MAX_MESSAGES) in->msgs[in->nmsg] = strdup(data && data->pMessage ? data->pMessage : "?");
  in->nmsg++;
  pthread_mutex_unlock(&in->msg_mu);
  return VK_FALSE;
}

static int has_layer(PFN_vkEnumerateInstanceLayerProperties enumerate, const char *name) {
  uint32_t n = 0;
  if (!enumerate || enumerate(&n, NULL) != VK_SUCCESS || n == 0) return 0;
  VkLayerProperties *props = calloc(n, sizeof *props);
  int found = 0;
  if (props && enumerate(&n, props) == VK_SUCCESS)
    for (uint32_t i = 0; i < n; i++)
      if (strcmp(props[i].layerName, name) == 0) found = 1;
  free(props);
  return found;
}

svk_instance *svk_open(const char *path, int validation, char *err) {
  svk_instance *in = calloc(1, sizeof *in);
  if (!in) {
    errorf(err, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&in->msg_mu, NULL);
  const char *lib = path && *path ? path : "libvulkan.so.1";
  in->lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!in->lib) {
    const char *why = dlerror();
    errorf(err, "no Vulkan loader: %s (install libvulkan1 and a driver, e.g. Debian's mesa-vulkan-drivers)",
           why ? why : lib);
    goto fail;
  }
  in->gipa = (PFN_vkGetInstanceProcAddr)dlsym(in->lib, "vkGetInstanceProcAddr");
  if (!in->gipa) {
    errorf(err, "%s is not a Vulkan loader: it has no vkGetInstanceProcAddr", lib);
    goto fail;
  }
  PFN_vkEnumerateInstanceVersion version =
      (PFN_vkEnumerateInstanceVersion)in->gipa(NULL, "vkEnumerateInstanceVersion");
  PFN_vkCreateInstance create = (PFN_vkCreateInstance)in->gipa(NULL, "vkCreateInstance");
  PFN_vkEnumerateInstanceLayerProperties layers =
      (PFN_vkEnumerateInstanceLayerProperties)in->gipa(NULL, "vkEnumerateInstanceLayerProperties");
  if (!create) {
    errorf(err, "%s has no vkCreateInstance", lib);
    goto fail;
  }
  uint32_t api = VK_API_VERSION_1_0;
  if (version && version(&api) != VK_SUCCESS) api = VK_API_VERSION_1_0;
  if (api > VK_API_VERSION_1_3) api = VK_API_VERSION_1_3;
  in->api = api;

  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                           .pApplicationName = "sokr",
                           .pEngineName = "sokr",
                           .apiVersion = api};
  VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
  const char *layer = "VK_LAYER_KHRONOS_validation";
  const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  VkDebugUtilsMessengerCreateInfoEXT mci = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity =
          VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
      .pfnUserCallback = on_message,
      .pUserData = in};
  if (validation) {
    if (!has_layer(layers, layer)) {
      errorf(err, "validation was asked for, but VK_LAYER_KHRONOS_validation is not installed "
                  "(Debian: vulkan-validationlayers)");
      goto fail;
    }
    ci.enabledLayerCount = 1;
    ci.ppEnabledLayerNames = &layer;
    ci.enabledExtensionCount = 1;
    ci.ppEnabledExtensionNames = &ext;
    ci.pNext = &mci;
  }
  CHECK(create(&ci, NULL, &in->inst), "vkCreateInstance");
#define LOAD_INSTANCE(name) in->name = (PFN_##name)in->gipa(in->inst, #name);
  INSTANCE_FNS(LOAD_INSTANCE)
  if (!in->vkEnumeratePhysicalDevices || !in->vkGetPhysicalDeviceProperties || !in->vkCreateDevice ||
      !in->vkGetDeviceProcAddr || !in->vkDestroyInstance) {
    errorf(err, "the Vulkan loader lacks core instance functions");
    goto fail;
  }
  if (validation && in->vkCreateDebugUtilsMessengerEXT)
    CHECK(in->vkCreateDebugUtilsMessengerEXT(in->inst, &mci, NULL, &in->messenger), "vkCreateDebugUtilsMessengerEXT");
  CHECK(in->vkEnumeratePhysicalDevices(in->inst, &in->ndev, NULL), "vkEnumeratePhysicalDevices");
  if (in->ndev) {
    in->devs = calloc(in->ndev, sizeof *in->devs);
    if (!in->devs) {
      errorf(err, "out of memory");
      goto fail;
    }
    VkResult r = in->vkEnumeratePhysicalDevices(in->inst, &in->ndev, in->devs);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
      errorf(err, "vkEnumeratePhysicalDevices: %s (%d)", svk_result_name(r), (int)r);
      goto fail;
    }
  }
  return in;
fail:
  svk_close(in);
  return NULL;
}

void svk_close(svk_instance *in) {
  if (!in) return;
  if (in->messenger && in->vkDestroyDebugUtilsMessengerEXT)
    in->vkDestroyDebugUtilsMessengerEXT(in->inst, in->messenger, NULL);
  if (in->inst && in->vkDestroyInstance) in->vkDestroyInstance(in->inst, NULL);
  // The loader library stays loaded: drivers may keep threads or atexit
  // handlers that point into it, and a later Open reuses it.
  for (uint32_t i = 0; i < in->nmsg && i < SVK_MAX_MESSAGES; i++) free(in->msgs[i]);
  free(in->devs);
  pthread_mutex_destroy(&in->msg_mu);
  free(in);
}

uint32_t svk_count(svk_instance *in) { return in->ndev; }
uint32_t svk_api_version(svk_instance *in) { return in->api; }

uint32_t svk_messages(svk_instance *in) {
  pthread_mutex_lock(&in->msg_mu);
  uint32_t n = in->nmsg;
  pthread_mutex_unlock(&in->msg_mu);
  return n;
}

void svk_message(svk_instance *in, uint32_t i, char *buf, size_t len) {
  pthread_mutex_lock(&in->msg_mu);
  snprintf(buf, len, "%s", i < in->nmsg && i < SVK_MAX_MESSAGES ? in->msgs[i] : "");
  pthread_mutex_unlock(&in->msg_mu);
}

void svk_clear_messages(svk_instance *in) {
  pthread_mutex_lock(&in->msg_mu);
  for (uint32_t i = 0; i < in->nmsg && i < SVK_MAX_MESSAGES; i++) free(in->msgs[i]);
  in->nmsg = 0;
  pthread_mutex_unlock(&in->msg_mu);
}

// features fills the 1.0, 1.1 and 1.2 feature structs (the latter two only
// when the device and instance speak 1.2).
static int features(svk_instance *in, VkPhysicalDevice pd, uint32_t api, VkPhysicalDeviceFeatures2 *f2,
                    VkPhysicalDeviceVulkan11Features *f11, VkPhysicalDeviceVulkan12Features *f12) {
  memset(f2, 0, sizeof *f2);
  memset(f11, 0, sizeof *f11);
  memset(f12, 0, sizeof *f12);
  f2->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  f11->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
  f12->sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
  int v12 = api >= VK_API_VERSION_1_2 && in->api >= VK_API_VERSION_1_2 && in->vkGetPhysicalDeviceFeatures2;
  if (v12) {
    f2->pNext = f11;
    f11->pNext = f12;
    in->vkGetPhysicalDeviceFeatures2(pd, f2);
  } else {
    in->vkGetPhysicalDeviceFeatures(pd, &f2->features);
  }
  return v12;
}

void svk_info_get(svk_instance *in, uint32_t i, svk_info *o) {
  memset(o, 0, sizeof *o);
  VkPhysicalDevice pd = in->devs[i];
  VkPhysicalDeviceProperties p;
  in->vkGetPhysicalDeviceProperties(pd, &p);
  VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
                                           .pNext = &m3};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
  int v11 = p.apiVersion >= VK_API_VERSION_1_1 && in->api >= VK_API_VERSION_1_1 && in->vkGetPhysicalDeviceProperties2;
  if (v11) in->vkGetPhysicalDeviceProperties2(pd, &p2);
  snprintf(o->name, sizeof o->name, "%s", p.deviceName);
  o->api_version = p.apiVersion;
  o->vendor_id = p.vendorID;
  o->device_id = p.deviceID;
  o->device_type = p.deviceType;
  memcpy(o->uuid, p.pipelineCacheUUID, VK_UUID_SIZE);
  const VkPhysicalDeviceLimits *l = &p.limits;
  for (int k = 0; k < 3; k++) {
    o->max_wg_count[k] = l->maxComputeWorkGroupCount[k];
    o->max_wg_size[k] = l->maxComputeWorkGroupSize[k];
  }
  o->max_wg_invocations = l->maxComputeWorkGroupInvocations;
  o->max_shared = l->maxComputeSharedMemorySize;
  o->max_push = l->maxPushConstantsSize;
  o->max_storage_range = l->maxStorageBufferRange;
  o->max_uniform_range = l->maxUniformBufferRange;
  o->max_storage_per_stage = l->maxPerStageDescriptorStorageBuffers;
  o->max_uniform_per_stage = l->maxPerStageDescriptorUniformBuffers;
  o->max_bound_sets = l->maxBoundDescriptorSets;
  o->max_alloc = v11 && m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : (uint64_t)l->maxStorageBufferRange;
  if (v11) {
    o->subgroup_ops = sg.supportedOperations;
    o->subgroup_stages = sg.supportedStages;
    o->subgroup_size = sg.subgroupSize;
  }

  uint32_t nq = 0;
  in->vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
  VkQueueFamilyProperties *q = calloc(nq ? nq : 1, sizeof *q);
  if (q) {
    in->vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, q);
    for (uint32_t k = 0; k < nq; k++)
      if (q[k].queueFlags & VK_QUEUE_COMPUTE_BIT) {
        o->timestamp_bits = q[k].timestampValidBits;
        break;
      }
    free(q);
  }
  VkPhysicalDeviceMemoryProperties mp;
  in->vkGetPhysicalDeviceMemoryProperties(pd, &mp);
  for (uint32_t h = 0; h < mp.memoryHeapCount; h++)
    if (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) o->device_local_bytes += mp.memoryHeaps[h].size;

  VkPhysicalDeviceFeatures2 f2;
  VkPhysicalDeviceVulkan11Features f11;
  VkPhysicalDeviceVulkan12Features f12;
  features(in, pd, p.apiVersion, &f2, &f11, &f12);
  o->robust = f2.features.robustBufferAccess;
  o->storage_array_dynamic = f2.features.shaderStorageBufferArrayDynamicIndexing;
  o->f64 = f2.features.shaderFloat64;
  o->i64 = f2.features.shaderInt64;
  o->i16 = f2.features.shaderInt16;
  o->i8 = f12.shaderInt8;
  o->f16 = f12.shaderFloat16;
  o->sb16 = f11.storageBuffer16BitAccess;
  o->ub16 = f11.uniformAndStorageBuffer16BitAccess;
  o->pc16 = f11.storagePushConstant16;
  o->sb8 = f12.storageBuffer8BitAccess;
  o->ub8 = f12.uniformAndStorageBuffer8BitAccess;
  o->pc8 = f12.storagePushConstant8;
  o->int64_atomics = f12.shaderBufferInt64Atomics;
  o->var_ptrs = f11.variablePointers;
  o->var_ptrs_sb = f11.variablePointersStorageBuffer;
  o->vmm = f12.vulkanMemoryModel;
}

static int32_t memory_type(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits, VkMemoryPropertyFlags want,
                           VkMemoryPropertyFlags prefer) {
  int32_t found = -1;
  for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
    if (!(bits & (1u << t))) continue;
    VkMemoryPropertyFlags f = mp->memoryTypes[t].propertyFlags;
    if ((f & want) != want) continue;
    if ((f & prefer) == prefer) return (int32_t)t;
    if (found < 0) found = (int32_t)t;
  }
  return found;
}

static void frame_destroy(svk_frame *f);

svk_device *svk_device_open(svk_instance *in, uint32_t index, const void *cache, size_t cache_len, char *err) {
  if (index >= in->ndev) {
    errorf(err, "no Vulkan device %u (there are %u)", index, in->ndev);
    return NULL;
  }
  svk_device *d = calloc(1, sizeof *d);
  if (!d) {
    errorf(err, "out of memory");
    return NULL;
  }
  d->in = in;
  d->phys = in->devs[index];
  pthread_mutex_init(&d->queue_mu, NULL);
  pthread_mutex_init(&d->frames_mu, NULL);
#define COPY_INSTANCE(name) d->name = in->name;
  INSTANCE_FNS(COPY_INSTANCE)

  VkPhysicalDeviceProperties p;
  in->vkGetPhysicalDeviceProperties(d->phys, &p);
  d->timestamp_period = p.limits.timestampPeriod;
  uint32_t nq = 0;
  in->vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, NULL);
  VkQueueFamilyProperties q[64];
  if (nq > 64) nq = 64;
  in->vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, q);
  int32_t fam = -1;
  for (uint32_t k = 0; k < nq; k++)
    if (q[k].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      fam = (int32_t)k;
      break;
    }
  if (fam < 0) {
    errorf(err, "device %s has no compute queue", p.deviceName);
    goto fail;
  }
  d->family = (uint32_t)fam;
  d->timestamp_bits = q[fam].timestampValidBits;

  // Turn on every feature the device has, robust buffer access included: a
  // shader that indexes past the buffer range it was given (say n in its
  // push constants is larger than the array) then cannot write outside that
  // buffer's memory, nor read outside it (such reads return zero or values
  // from elsewhere in the same buffer), instead of corrupting another
  // dispatch's memory.
  VkPhysicalDeviceFeatures2 f2;
  VkPhysicalDeviceVulkan11Features f11;
  VkPhysicalDeviceVulkan12Features f12;
  int v12 = features(in, d->phys, p.apiVersion, &f2, &f11, &f12);
  float prio = 1.0f;
  VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = d->family,
                                 .queueCount = 1,
                                 .pQueuePriorities = &prio};
  VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1, .pQueueCreateInfos = &qci};
  if (v12)
    dci.pNext = &f2;
  else
    dci.pEnabledFeatures = &f2.features;
  CHECK(in->vkCreateDevice(d->phys, &dci, NULL, &d->dev), "vkCreateDevice");
#define LOAD_DEVICE(name) d->name = (PFN_##name)in->vkGetDeviceProcAddr(d->dev, #name);
  DEVICE_FNS(LOAD_DEVICE)
#define CHECK_LOADED(name)                                                                                        \
  if (!d->name) {                                                                                                 \
    errorf(err, "the Vulkan driver lacks %s", #name);                                                             \
    goto fail;                                                                                                    \
  }
  DEVICE_FNS(CHECK_LOADED)
  d->vkGetDeviceQueue(d->dev, d->family, 0, &d->queue);

  VkPhysicalDeviceMemoryProperties mp;
  in->vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
  d->local_type = memory_type(&mp, ~0u, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
  d->host_type = memory_type(&mp, ~0u, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                             VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  if (d->local_type < 0) d->local_type = d->host_type;
  if (d->host_type < 0) {
    errorf(err, "device %s has no host-visible coherent memory", p.deviceName);
    goto fail;
  }
  VkPipelineCacheCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO, .initialDataSize = cache_len, .pInitialData = cache};
  if (cache_len < 32) { // shorter than a cache header: nothing to reuse
    pci.initialDataSize = 0;
    pci.pInitialData = NULL;
  }
  if (d->vkCreatePipelineCache(d->dev, &pci, NULL, &d->cache) != VK_SUCCESS) {
    // A stale or foreign cache blob: start empty.
    pci.initialDataSize = 0;
    pci.pInitialData = NULL;
    CHECK(d->vkCreatePipelineCache(d->dev, &pci, NULL, &d->cache), "vkCreatePipelineCache");
  }
  return d;
fail:
  svk_device_close(d);
  return NULL;
}

void svk_device_close(svk_device *d) {
  if (!d) return;
  if (d->dev) {
    d->vkDeviceWaitIdle(d->dev);
    for (svk_frame *f = d->free_frames; f;) {
      svk_frame *next = f->next;
      frame_destroy(f);
      f = next;
    }
    if (d->cache) d->vkDestroyPipelineCache(d->dev, d->cache, NULL);
    d->vkDestroyDevice(d->dev, NULL);
  }
  pthread_mutex_destroy(&d->queue_mu);
  pthread_mutex_destroy(&d->frames_mu);
  free(d);
}

void svk_device_idle(svk_device *d) { d->vkDeviceWaitIdle(d->dev); }

size_t svk_device_cache(svk_device *d, void *buf, size_t len) {
  size_t n = 0;
  if (d->vkGetPipelineCacheData(d->dev, d->cache, &n, NULL) != VK_SUCCESS) return 0;
  if (buf && len >= n) {
    if (d->vkGetPipelineCacheData(d->dev, d->cache, &n, buf) != VK_SUCCESS) return 0;
  }
  return n;
}

int svk_buffer_create(svk_device *d, uint64_t size, int host, svk_buffer *out, char *err) {
  memset(out, 0, sizeof *out);
  out->size = size;
  VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                            .size = size,
                            .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                                     VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                            .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  CHECK(d->vkCreateBuffer(d->dev, &bci, NULL, &out->buf), "vkCreateBuffer");
  VkMemoryRequirements req;
  d->vkGetBufferMemoryRequirements(d->dev, out->buf, &req);
  VkPhysicalDeviceMemoryProperties mp;
  d->in->vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
  int32_t type = host ? memory_type(&mp, req.memoryTypeBits,
                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                    VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
                      : memory_type(&mp, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
  if (type < 0) type = memory_type(&mp, req.memoryTypeBits, 0, 0);
  if (type < 0) {
    errorf(err, "no memory type fits a %llu-byte buffer", (unsigned long long)size);
    goto fail;
  }
  VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size, .memoryTypeIndex = (uint32_t)type};
  CHECK(d->vkAllocateMemory(d->dev, &mai, NULL, &out->mem), "vkAllocateMemory");
  CHECK(d->vkBindBufferMemory(d->dev, out->buf, out->mem, 0), "vkBindBufferMemory");
  if (host) CHECK(d->vkMapMemory(d->dev, out->mem, 0, VK_WHOLE_SIZE, 0, &out->map), "vkMapMemory");
  return 0;
fail:
  svk_buffer_destroy(d, out);
  return -1;
}

void svk_buffer_destroy(svk_device *d, svk_buffer *b) {
  if (b->buf) d->vkDestroyBuffer(d->dev, b->buf, NULL);
  if (b->mem) d->vkFreeMemory(d->dev, b->mem, NULL); // unmaps too
  memset(b, 0, sizeof *b);
}

svk_pipeline *svk_pipeline_create(svk_device *d, const uint32_t *code, size_t bytes, const char *entry,
                                  uint32_t nbind, const uint32_t *sets, const uint32_t *bindings,
                                  const uint32_t *uniform, const uint32_t *counts, uint32_t push_bytes,
                                  uint32_t nspec, const uint32_t *spec_ids, const uint32_t *spec_offsets,
                                  const uint32_t *spec_sizes, const void *spec_data, size_t spec_bytes,
                                  char *err) {
  VkShaderModule module = VK_NULL_HANDLE;
  VkDescriptorSetLayoutBinding *lb = NULL;
  VkSpecializationMapEntry *entries = NULL;
  svk_pipeline *p = calloc(1, sizeof *p);
  if (!p) {
    errorf(err, "out of memory");
    return NULL;
  }
  uint32_t nstorage = 0, nuniform = 0;
  for (uint32_t i = 0; i < nbind; i++) {
    if (sets[i] >= MAX_SETS) {
      errorf(err, "descriptor set %u: SOKR binds sets 0 to %d", sets[i], MAX_SETS - 1);
      goto fail;
    }
    if (sets[i] + 1 > p->nsets) p->nsets = sets[i] + 1;
    uint32_t c = counts ? counts[i] : 1;
    if (c == 0) c = 1;
    if (uniform[i])
      nuniform += c;
    else
      nstorage += c;
  }
  if (nstorage > FRAME_STORAGE || nuniform > FRAME_UNIFORM) {
    errorf(err, "%u storage and %u uniform buffers: SOKR binds at most %d and %d", nstorage, nuniform,
           FRAME_STORAGE, FRAME_UNIFORM);
    goto fail;
  }
  p->nbind = nbind;
  p->nstorage = nstorage;
  p->nuniform = nuniform;
  p->push_bytes = push_bytes;
  p->bind_set = calloc(nbind + 1, sizeof(uint32_t));
  p->bind_num = calloc(nbind + 1, sizeof(uint32_t));
  p->bind_uniform = calloc(nbind + 1, sizeof(uint32_t));
  p->bind_count = calloc(nbind + 1, sizeof(uint32_t));
  lb = calloc(nbind + 1, sizeof *lb);
  if (!p->bind_set || !p->bind_num || !p->bind_uniform || !p->bind_count || !lb) {
    errorf(err, "out of memory");
    goto fail;
  }
  memcpy(p->bind_set, sets, nbind * sizeof(uint32_t));
  memcpy(p->bind_num, bindings, nbind * sizeof(uint32_t));
  memcpy(p->bind_uniform, uniform, nbind * sizeof(uint32_t));
  for (uint32_t i = 0; i < nbind; i++) p->bind_count[i] = counts && counts[i] ? counts[i] : 1;
  for (uint32_t s = 0; s < p->nsets; s++) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < nbind; i++)
      if (sets[i] == s)
        lb[n++] = (VkDescriptorSetLayoutBinding){
            .binding = bindings[i],
            .descriptorType = uniform[i] ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = p->bind_count[i],
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo lci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .bindingCount = n, .pBindings = lb};
    CHECK(d->vkCreateDescriptorSetLayout(d->dev, &lci, NULL, &p->sets[s]), "vkCreateDescriptorSetLayout");
  }
  VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = push_bytes};
  VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                     .setLayoutCount = p->nsets,
                                     .pSetLayouts = p->sets,
                                     .pushConstantRangeCount = push_bytes ? 1 : 0,
                                     .pPushConstantRanges = &pr};
  CHECK(d->vkCreatePipelineLayout(d->dev, &plci, NULL, &p->layout), "vkCreatePipelineLayout");
  VkShaderModuleCreateInfo smci = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = bytes, .pCode = code};
  CHECK(d->vkCreateShaderModule(d->dev, &smci, NULL, &module), "vkCreateShaderModule");
  VkSpecializationInfo spec = {0};
  if (nspec) {
    entries = calloc(nspec, sizeof *entries);
    if (!entries) {
      errorf(err, "out of memory");
      goto fail;
    }
    for (uint32_t i = 0; i < nspec; i++)
      entries[i] = (VkSpecializationMapEntry){.constantID = spec_ids[i], .offset = spec_offsets[i], .size = spec_sizes[i]};
    spec = (VkSpecializationInfo){
        .mapEntryCount = nspec, .pMapEntries = entries, .dataSize = spec_bytes, .pData = spec_data};
  }
  VkComputePipelineCreateInfo cci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module,
                .pName = entry,
                .pSpecializationInfo = nspec ? &spec : NULL},
      .layout = p->layout};
  CHECK(d->vkCreateComputePipelines(d->dev, d->cache, 1, &cci, NULL, &p->pipe), "vkCreateComputePipelines");
  d->vkDestroyShaderModule(d->dev, module, NULL);
  free(lb);
  free(entries);
  return p;
fail:
  if (module) d->vkDestroyShaderModule(d->dev, module, NULL);
  free(lb);
  free(entries);
  svk_pipeline_destroy(d, p);
  return NULL;
}

void svk_pipeline_destroy(svk_device *d, svk_pipeline *p) {
  if (!p) return;
  if (p->pipe) d->vkDestroyPipeline(d->dev, p->pipe, NULL);
  if (p->layout) d->vkDestroyPipelineLayout(d->dev, p->layout, NULL);
  for (uint32_t s = 0; s < MAX_SETS; s++)
    if (p->sets[s]) d->vkDestroyDescriptorSetLayout(d->dev, p->sets[s], NULL);
  free(p->bind_set);
  free(p->bind_num);
  free(p->bind_uniform);
  free(p->bind_count);
  free(p);
}

static void frame_destroy(svk_frame *f) {
  svk_device *d = f->d;
  if (f->queries) d->vkDestroyQueryPool(d->dev, f->queries, NULL);
  for (uint32_t i = 0; i < f->npools; i++) d->vkDestroyDescriptorPool(d->dev, f->pools[i], NULL);
  free(f->pools);
  if (f->fence) d->vkDestroyFence(d->dev, f->fence, NULL);
  if (f->pool) d->vkDestroyCommandPool(d->dev, f->pool, NULL);
  free(f);
}

static int add_pool(svk_frame *f, char *err) {
  svk_device *d = f->d;
  if (f->npools == f->cap_pools) {
    uint32_t cap = f->cap_pools ? 2 * f->cap_pools : 4;
    VkDescriptorPool *pools = realloc(f->pools, cap * sizeof *pools);
    if (!pools) {
      errorf(err, "out of memory");
      return -1;
    }
    f->pools = pools;
    f->cap_pools = cap;
  }
  VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, FRAME_STORAGE},
                                   {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, FRAME_UNIFORM}};
  VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                     .maxSets = FRAME_SETS,
                                     .poolSizeCount = 2,
                                     .pPoolSizes = sizes};
  CHECK(d->vkCreateDescriptorPool(d->dev, &dpci, NULL, &f->pools[f->npools]), "vkCreateDescriptorPool");
  f->npools++;
  return 0;
fail:
  return -1;
}

static svk_frame *frame_new(svk_device *d, char *err) {
  svk_frame *f = calloc(1, sizeof *f);
  if (!f) {
    errorf(err, "out of memory");
    return NULL;
  }
  f->d = d;
  VkCommandPoolCreateInfo cpci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                  .queueFamilyIndex = d->family};
  CHECK(d->vkCreateCommandPool(d->dev, &cpci, NULL, &f->pool), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = f->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
  CHECK(d->vkAllocateCommandBuffers(d->dev, &cbai, &f->cmd), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  CHECK(d->vkCreateFence(d->dev, &fci, NULL, &f->fence), "vkCreateFence");
  if (add_pool(f, err) != 0) goto fail;
  if (d->timestamp_bits) {
    VkQueryPoolCreateInfo qpci = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO, .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2};
    CHECK(d->vkCreateQueryPool(d->dev, &qpci, NULL, &f->queries), "vkCreateQueryPool");
  }
  return f;
fail:
  frame_destroy(f);
  return NULL;
}

svk_frame *svk_frame_get(svk_device *d, char *err) {
  pthread_mutex_lock(&d->frames_mu);
  svk_frame *f = d->free_frames;
  if (f) d->free_frames = f->next;
  pthread_mutex_unlock(&d->frames_mu);
  if (!f && !(f = frame_new(d, err))) return NULL;
  f->next = NULL;
  f->timed = 0;
  CHECK(d->vkResetCommandPool(d->dev, f->pool, 0), "vkResetCommandPool");
  for (uint32_t i = 0; i < f->npools; i++)
    CHECK(d->vkResetDescriptorPool(d->dev, f->pools[i], 0), "vkResetDescriptorPool");
  f->cur = f->used_sets = f->used_storage = f->used_uniform = 0;
  VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                 .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
  CHECK(d->vkBeginCommandBuffer(f->cmd, &bi), "vkBeginCommandBuffer");
  if (f->queries) d->vkCmdResetQueryPool(f->cmd, f->queries, 0, 2);
  return f;
fail:
  frame_destroy(f);
  return NULL;
}

void svk_cmd_copy(svk_frame *f, svk_buffer *src, uint64_t src_off, svk_buffer *dst, uint64_t dst_off, uint64_t size) {
  VkBufferCopy c = {.srcOffset = src_off, .dstOffset = dst_off, .size = size};
  f->d->vkCmdCopyBuffer(f->cmd, src->buf, dst->buf, 1, &c);
}

void svk_cmd_barrier(svk_frame *f) {
  VkMemoryBarrier b = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                       .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                       .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                        VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                                        VK_ACCESS_UNIFORM_READ_BIT | VK_ACCESS_HOST_READ_BIT};
  VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  f->d->vkCmdPipelineBarrier(f->cmd, stages, stages | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b, 0, NULL, 0, NULL);
}

void svk_cmd_timestamp(svk_frame *f, uint32_t query) {
  if (!f->queries || query > 1) return;
  f->d->vkCmdWriteTimestamp(f->cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, f->queries, query);
  if (query == 1) f->timed = 1;
}

int svk_cmd_dispatch(svk_frame *f, svk_pipeline *p, svk_buffer *const *bufs, const uint64_t *offs,
                     const uint64_t *ranges, const void *push, uint32_t push_bytes, uint32_t gx, uint32_t gy,
                     uint32_t gz, char *err) {
  svk_device *d = f->d;
  VkDescriptorSet sets[MAX_SETS] = {0};
  VkDescriptorBufferInfo info[FRAME_STORAGE + FRAME_UNIFORM];
  VkWriteDescriptorSet writes[FRAME_STORAGE + FRAME_UNIFORM];
  if (p->nsets) {
    // Move to the next pool (adding it if need be) when this one is full.
    if (f->used_sets + p->nsets > FRAME_SETS || f->used_storage + p->nstorage > FRAME_STORAGE ||
        f->used_uniform + p->nuniform > FRAME_UNIFORM) {
      if (f->cur + 1 == f->npools && add_pool(f, err) != 0) goto fail;
      f->cur++;
      f->used_sets = f->used_storage = f->used_uniform = 0;
    }
    f->used_sets += p->nsets;
    f->used_storage += p->nstorage;
    f->used_uniform += p->nuniform;
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = f->pools[f->cur],
                                      .descriptorSetCount = p->nsets,
                                      .pSetLayouts = p->sets};
    CHECK(d->vkAllocateDescriptorSets(d->dev, &ai, sets), "vkAllocateDescriptorSets");
  }
  // bufs, offs and ranges hold one entry per descriptor: a binding of
  // count c (a descriptor array) takes c consecutive entries.
  for (uint32_t i = 0, k = 0; i < p->nbind; i++) {
    for (uint32_t e = 0; e < p->bind_count[i]; e++, k++)
      info[k] = (VkDescriptorBufferInfo){.buffer = bufs[k]->buf,
                                         .offset = offs ? offs[k] : 0,
                                         .range = ranges && ranges[k] ? ranges[k] : VK_WHOLE_SIZE};
    writes[i] = (VkWriteDescriptorSet){
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = sets[p->bind_set[i]],
        .dstBinding = p->bind_num[i],
        .descriptorCount = p->bind_count[i],
        .descriptorType = p->bind_uniform[i] ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &info[k - p->bind_count[i]]};
  }
  if (p->nbind) d->vkUpdateDescriptorSets(d->dev, p->nbind, writes, 0, NULL);
  d->vkCmdBindPipeline(f->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
  if (p->nsets)
    d->vkCmdBindDescriptorSets(f->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, p->nsets, sets, 0, NULL);
  if (push_bytes && p->push_bytes) {
    if (push_bytes > p->push_bytes) push_bytes = p->push_bytes;
    d->vkCmdPushConstants(f->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  }
  d->vkCmdDispatch(f->cmd, gx, gy, gz);
  return 0;
fail:
  return -1;
}

void svk_cmd_dispatch_bound(svk_frame *f, svk_pipeline *p, const void *push, uint32_t push_bytes, uint32_t gx,
                            uint32_t gy, uint32_t gz) {
  svk_device *d = f->d;
  d->vkCmdBindPipeline(f->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
  if (push_bytes && p->push_bytes) {
    if (push_bytes > p->push_bytes) push_bytes = p->push_bytes;
    d->vkCmdPushConstants(f->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  }
  d->vkCmdDispatch(f->cmd, gx, gy, gz);
}

int svk_frame_submit(svk_frame *f, char *err) {
  svk_device *d = f->d;
  CHECK(d->vkEndCommandBuffer(f->cmd), "vkEndCommandBuffer");
  CHECK(d->vkResetFences(d->dev, 1, &f->fence), "vkResetFences");
  VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &f->cmd};
  pthread_mutex_lock(&d->queue_mu);
  VkResult r = d->vkQueueSubmit(d->queue, 1, &si, f->fence);
  pthread_mutex_unlock(&d->queue_mu);
  CHECK(r, "vkQueueSubmit");
  return 0;
fail:
  return -1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int svk_frame_wait(svk_frame *f, uint64_t spin_ns, uint64_t timeout_ns) {
  // Polling the fence answers a short dispatch sooner than a blocking wait,
  // which goes through the kernel driver's sleep and wake-up.
  if (spin_ns) {
    uint64_t end = now_ns() + spin_ns;
    do {
      VkResult r = f->d->vkGetFenceStatus(f->d->dev, f->fence);
      if (r != VK_NOT_READY) return r;
    } while (now_ns() < end);
  }
  return f->d->vkWaitForFences(f->d->dev, 1, &f->fence, VK_TRUE, timeout_ns);
}

uint64_t svk_frame_elapsed(svk_frame *f) {
  if (!f->timed || !f->queries) return 0;
  uint64_t t[2] = {0, 0};
  VkResult r = f->d->vkGetQueryPoolResults(f->d->dev, f->queries, 0, 2, sizeof t, t, sizeof t[0],
                                           VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (r != VK_SUCCESS || t[1] < t[0]) return 0;
  uint32_t bits = f->d->timestamp_bits;
  uint64_t delta = t[1] - t[0];
  if (bits < 64) delta &= (1ull << bits) - 1;
  return (uint64_t)((double)delta * (double)f->d->timestamp_period);
}

void *svk_frame_args(svk_frame *f) { return f->args; }
char *svk_frame_err(svk_frame *f) { return f->err; }
size_t svk_frame_size(void) { return sizeof(svk_frame); }

void svk_frame_put(svk_frame *f) {
  svk_device *d = f->d;
  pthread_mutex_lock(&d->frames_mu);
  f->next = d->free_frames;
  d->free_frames = f;
  pthread_mutex_unlock(&d->frames_mu);
}
