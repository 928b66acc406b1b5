#version 450
#extension GL_GOOGLE_include_directive : require
// See qdyn.glsl.
#include "qdyn.glsl"
