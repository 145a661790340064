// percentiles must ascend: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x1","latest",[75,25]]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: rewardPercentiles must be in ascending order"}}
