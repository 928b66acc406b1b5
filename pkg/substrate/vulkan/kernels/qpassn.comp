#version 450
#extension GL_GOOGLE_include_directive : require
// See qpass.glsl: dense passes on 2 to 5 targets, permutations on 2 to 5.
#define GENERAL
#include "qpass.glsl"
