// lostloader.c: a stand-in Vulkan loader for tests. It forwards everything
// to the real libvulkan.so.1, except that once $SOKR_TEST_DEVICE_LOST is
// set, queue submissions and fence waits fail with VK_ERROR_DEVICE_LOST:
// the driver has gone away mid-run.
#define VK_NO_PROTOTYPES
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan_core.h>

static PFN_vkGetInstanceProcAddr real_gipa;
static PFN_vkGetDeviceProcAddr real_gdpa;
static PFN_vkQueueSubmit real_submit;
static PFN_vkWaitForFences real_wait;
static PFN_vkGetFenceStatus real_status;

static int lost(void) { return getenv("SOKR_TEST_DEVICE_LOST") != NULL; }

static VKAPI_ATTR VkResult VKAPI_CALL submit(VkQueue q, uint32_t n, const VkSubmitInfo *s, VkFence f) {
  return lost() ? VK_ERROR_DEVICE_LOST : real_submit(q, n, s, f);
}

static VKAPI_ATTR VkResult VKAPI_CALL wait(VkDevice d, uint32_t n, const VkFence *f, VkBool32 all, uint64_t t) {
  return lost() ? VK_ERROR_DEVICE_LOST : real_wait(d, n, f, all, t);
}

static VKAPI_ATTR VkResult VKAPI_CALL status(VkDevice d, VkFence f) {
  return lost() ? VK_ERROR_DEVICE_LOST : real_status(d, f);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL gdpa(VkDevice d, const char *name) {
  PFN_vkVoidFunction fn = real_gdpa(d, name);
  if (!fn) return fn;
  if (!strcmp(name, "vkQueueSubmit")) { real_submit = (PFN_vkQueueSubmit)fn; return (PFN_vkVoidFunction)submit; }
  if (!strcmp(name, "vkWaitForFences")) { real_wait = (PFN_vkWaitForFences)fn; return (PFN_vkVoidFunction)wait; }
  if (!strcmp(name, "vkGetFenceStatus")) { real_status = (PFN_vkGetFenceStatus)fn; return (PFN_vkVoidFunction)status; }
  return fn;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance in, const char *name) {
  if (!real_gipa) {
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return NULL;
    real_gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
  }
  PFN_vkVoidFunction fn = real_gipa(in, name);
  if (fn && !strcmp(name, "vkGetDeviceProcAddr")) {
    real_gdpa = (PFN_vkGetDeviceProcAddr)fn;
    return (PFN_vkVoidFunction)gdpa;
  }
  return fn;
}
