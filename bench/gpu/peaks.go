package main

// peakGBps is the theoretical memory bandwidth of the devices this
// benchmark has been pointed at, keyed by the name Vulkan reports
// (VkPhysicalDeviceProperties.deviceName), in GB/s (10^9 bytes per second).
// -peak overrides it; a device not listed gets "unknown peak" and its SAXPY
// is reported in GB/s only.
var peakGBps = map[string]struct {
	gbps   float64
	source string
}{
	// Memory clock 2619 MHz x 5120-bit bus x 2 (DDR), as measured with
	// nvidia-smi on the H100 of /work/shared/gpu-notes.md.
	"NVIDIA H100 80GB HBM3": {3352, "2619 MHz x 5120 bit x 2 (gpu-notes.md)"},
	// The vendor's data sheets.
	"NVIDIA H100 PCIe":        {2039, "NVIDIA H100 PCIe data sheet (2.0 TB/s)"},
	"NVIDIA H200":             {4800, "NVIDIA H200 data sheet (4.8 TB/s)"},
	"NVIDIA A100-SXM4-80GB":   {2039, "NVIDIA A100 data sheet (2039 GB/s)"},
	"NVIDIA A100-SXM4-40GB":   {1555, "NVIDIA A100 data sheet (1555 GB/s)"},
	"NVIDIA A100 80GB PCIe":   {1935, "NVIDIA A100 data sheet (1935 GB/s)"},
	"NVIDIA L40S":             {864, "NVIDIA L40S data sheet (864 GB/s)"},
	"NVIDIA GeForce RTX 4090": {1008, "21 Gbps x 384 bit / 8 (data sheet)"},
}

// peakFor returns the device's peak bandwidth and where the number comes
// from: the -peak flag when given (> 0), else the table; 0 and "unknown
// peak" otherwise.
func peakFor(device string, flag float64) (float64, string) {
	if flag > 0 {
		return flag, "-peak flag"
	}
	if p, ok := peakGBps[device]; ok {
		return p.gbps, p.source
	}
	return 0, "unknown peak"
}
