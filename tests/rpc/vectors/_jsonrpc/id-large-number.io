// a number id beyond 64 bits is echoed exactly
>> {"jsonrpc":"2.0","id":1180591620717411303424,"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":1180591620717411303424,"result":"0x7a69"}
