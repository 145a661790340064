// the suggested tip: 1 gwei
>> {"jsonrpc":"2.0","id":1,"method":"eth_maxPriorityFeePerGas"}
<< {"jsonrpc":"2.0","id":1,"result":"0x3b9aca00"}
